"""MIME and charsets (reliability-cases.md): every line there is a test here."""

from __future__ import annotations

import base64
import time
from email.message import EmailMessage

import pytest

from pipeline.intake.charsets import decode_text
from pipeline.intake.filenames import safe_filename
from pipeline.intake.message import MailLimits, MailRejected
from pipeline.intake.mime import check_limits, parse_mail

HEAD = (
    "From: Customer <customer@example.com>\r\n"
    "To: complaints@shop.example\r\n"
    "Subject: {subject}\r\n"
    "Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
)


def text_mail(body: bytes, charset: str, subject: str = "test") -> bytes:
    head = HEAD.format(subject=subject) + (
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + body


def word(text: str, charset: str, codec: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode()}?="


GBK_ONLY = "李喆 朱镕基 王堃 犇 昇"  # characters outside GB2312


@pytest.mark.parametrize("label", ["gb2312", "GB2312", "gbk", "x-gbk", "cp936"])
def test_gbk_text_under_narrow_labels_is_exact(label: str) -> None:
    mail = parse_mail(text_mail(GBK_ONLY.encode("gbk"), label))

    assert mail.text == GBK_ONLY
    assert mail.defects == ()


def test_gbk_encoded_words_in_subject_and_name_are_exact() -> None:
    raw = (
        f"From: {word('李喆', 'gb2312', 'gbk')} <lizhe@example.com>\r\n"
        f"Subject: {word('投诉：朱镕基', 'gb2312', 'gbk')} {word('王堃', 'GB2312', 'gbk')}\r\n"
        "Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n\r\nbody"
    ).encode("ascii")

    mail = parse_mail(raw)

    assert mail.from_name == "李喆"
    assert mail.subject == "投诉：朱镕基王堃"


def test_big5_label_reads_hkscs_characters() -> None:
    text = "我哋嘅訂單㗎"  # 㗎 is in HKSCS, not in plain Big5
    mail = parse_mail(text_mail(text.encode("big5hkscs"), "big5"))

    assert mail.text == text


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        ("shift_jis", "①番の商品が壊れていました", "cp932"),
        ("ks_c_5601-1987", "주문한 상품이 파손되었습니다", "cp949"),
        ("iso-8859-1", "Price was 20€ – too much", "cp1252"),
        ("us-ascii", "naïve café", "utf-8"),
        ("windows-874", "สินค้าเสียหาย", "cp874"),
    ],
)
def test_charset_aliases_decode_what_clients_really_send(label: str, text: str, codec: str) -> None:
    mail = parse_mail(text_mail(text.encode(codec), label))

    assert mail.text == text


@pytest.mark.parametrize("label", ["unknown-8bit", "x-user-defined", "no-such-charset"])
def test_labels_python_lacks_still_give_text(label: str) -> None:
    mail = parse_mail(text_mail("订单 broken".encode(), label))

    assert mail.text == "订单 broken"


def test_undecodable_text_is_replaced_and_flagged() -> None:
    text, defect = decode_text(b"\xff\xfe\xfa\x80\x81 abc \xff", "utf-8")

    assert "abc" in text
    assert defect is not None


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    raw = (
        "From: Zoë 张伟 <zw@example.com>\r\nSubject: 投诉 — naïve\r\n"
        "Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n\r\nbody"
    ).encode()

    mail = parse_mail(raw)

    assert mail.from_name == "Zoë 张伟"
    assert mail.subject == "投诉 — naïve"


def test_rfc2231_filename_with_continuations() -> None:
    raw = (
        HEAD.format(subject="photos") + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
        "--b\r\nContent-Type: image/jpeg\r\n"
        "Content-Disposition: attachment;\r\n"
        " filename*0*=utf-8''%E7%A0%B4%E6%8D%9F;\r\n"
        " filename*1*=%E7%85%A7%E7%89%87.jpg\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n"
    ).encode("ascii")

    mail = parse_mail(raw)

    assert [a.filename for a in mail.attachments] == ["破损照片.jpg"]
    assert mail.attachments[0].payload.startswith(b"\xff\xd8")


def test_multipart_without_boundary_gives_body_and_defect() -> None:
    raw = HEAD.format(subject="x") + "Content-Type: multipart/mixed\r\n\r\nthe kettle leaks\r\n"
    mail = parse_mail(raw.encode("ascii"))

    assert "the kettle leaks" in mail.text
    assert mail.defects


def test_missing_closing_boundary_is_recorded() -> None:
    raw = (
        HEAD.format(subject="x") + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nthe kettle leaks\r\n"
    )
    mail = parse_mail(raw.encode("ascii"))

    assert "the kettle leaks" in mail.text
    assert any("closed" in d or "boundary" in d for d in mail.defects)


def test_deeply_nested_mail_is_refused_before_parsing() -> None:
    depth = 2000
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    raw = (HEAD.format(subject="bomb") + opening + "Content-Type: text/plain\r\n\r\nx").encode()

    started = time.monotonic()
    with pytest.raises(MailRejected, match="nested"):
        parse_mail(raw)
    assert time.monotonic() - started < 2


def test_one_megabyte_header_line_is_refused() -> None:
    raw = (HEAD.format(subject="x" * 1_048_576) + "\r\nbody").encode("ascii")

    with pytest.raises(MailRejected, match="header line"):
        parse_mail(raw)


def test_hundred_megabyte_mail_is_refused_without_parsing() -> None:
    raw = HEAD.format(subject="big").encode() + b"\r\n" + b"A" * (100 * 1024 * 1024)

    started = time.monotonic()
    with pytest.raises(MailRejected, match="MB"):
        check_limits(raw, MailLimits())
    assert time.monotonic() - started < 2


def test_too_many_parts_after_parsing_is_refused() -> None:
    parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(30))
    raw = HEAD.format(subject="x") + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    raw += parts + "--b--\r\n"

    with pytest.raises(MailRejected, match="parts"):
        parse_mail(raw.encode("ascii"), MailLimits(max_parts=10))


def test_forwarded_customer_mail_is_the_complaint() -> None:
    inner = EmailMessage()
    inner["From"] = "王芳 <wangfang@customer.example>"
    inner["Subject"] = "空调不制冷"
    inner["Date"] = "Fri, 27 Nov 2026 09:00:00 +0800"
    inner["Message-ID"] = "<inner@customer.example>"
    inner.set_content("我家的空调买了一周就不制冷了。")
    outer = EmailMessage()
    outer["From"] = "Staff <staff@shop.example>"
    outer["Subject"] = "Fwd: 空调不制冷"
    outer["Date"] = "Sat, 28 Nov 2026 09:00:00 +0800"
    outer.set_content("Forwarding a customer complaint.")
    outer.add_attachment(inner)

    mail = parse_mail(bytes(outer))

    assert mail.from_address == "wangfang@customer.example"
    assert mail.from_name == "王芳"
    assert mail.subject == "空调不制冷"
    assert "不制冷" in mail.text
    assert mail.forwarded_by == "staff@shop.example"


def test_html_only_mail_gets_plain_text_without_script() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>The kettle &amp; lid</p><div>leak<br>badly</div><img src='https://x/t.gif'></body></html>"
    )
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "html"
    msg.set_content(html, subtype="html")

    mail = parse_mail(bytes(msg))

    assert mail.text.split() == ["The", "kettle", "&", "lid", "leak", "badly"]
    assert "alert" not in mail.text
    assert mail.html is not None and "<script>" in mail.html  # kept raw; sanitised on display


def test_winmail_dat_is_kept_and_flagged() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "outlook"
    msg.set_content("see attachment")
    msg.add_attachment(
        b"\x78\x9f\x3e\x22", maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )

    mail = parse_mail(bytes(msg))

    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert any("winmail.dat" in d for d in mail.defects)


def test_not_a_mail_at_all_is_refused() -> None:
    with pytest.raises(MailRejected):
        parse_mail(b"\x00\x01\x02 binary junk \xff" * 50)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"From: a@b.c\r\n",
        b"Subject: =?utf-8?B?broken",
        b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b"From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
        b"Subject: x\r\nDate: not a date\r\n\r\nbody",
    ],
)
def test_broken_input_never_raises_anything_but_rejection(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except MailRejected as rejected:
        assert rejected.reason
    else:
        assert isinstance(mail.text, str)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/x", "x"),
        ("..\\win.ini", "win.ini"),
        ("a\x00.pdf", "a.pdf"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("", "attachment"),
        (None, "attachment"),
        ("...", "attachment"),
    ],
)
def test_attachment_names_are_made_harmless(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_attachment_names_keep_their_extension() -> None:
    cleaned = safe_filename("x" * 300 + ".pdf")

    assert len(cleaned) <= 150 and cleaned.endswith(".pdf")
