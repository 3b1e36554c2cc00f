"""Raw mail bytes -> ParsedMail (reliability-cases.md, MIME and charsets).

Mails are written out byte for byte, so each test shows exactly what a client sent.
"""

from __future__ import annotations

import base64
import contextlib
import random
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline.mail.message import MailLimits, MailRejected, ParsedMail
from pipeline.mail.mime import check_limits, parse_mail, safe_filename

HEAD = (
    b"From: Customer <customer@example.com>\r\n"
    b"To: complaints@shop.example\r\n"
    b"Subject: kettle\r\n"
    b"Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n"
    b"Message-ID: <m1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
)
GBK_ONLY = "李喆 朱镕基 王堃 犇 昇"  # every name has a character outside GB2312


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def word(text: str, charset: str = "gb2312", codec: str = "gbk") -> bytes:
    return b"=?%s?B?%s?=" % (charset.encode(), b64(text.encode(codec)))


def text_mail(body: bytes, charset: bytes, head: bytes = HEAD) -> bytes:
    return (
        head + b"Content-Type: text/plain; charset=" + charset + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


def multipart(*parts: bytes, kind: bytes = b"mixed", head: bytes = HEAD) -> bytes:
    body = b"".join(b"--b1\r\n" + part + b"\r\n" for part in parts)
    return (
        head
        + b"Content-Type: multipart/"
        + kind
        + b'; boundary="b1"\r\n\r\n'
        + body
        + b"--b1--\r\n"
    )


PLAIN = b"Content-Type: text/plain; charset=utf-8\r\n\r\nthe kettle leaks"
HTML = b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>the <b>HTML</b> kettle</p>"
PNG = b"\x89PNG\r\n\x1a\nrest"


# --- charsets in bodies and headers ---------------------------------------------------


@pytest.mark.parametrize("label", [b"gb2312", b"GB2312", b"gbk", b"x-gbk", b"cp936"])
def test_gbk_text_under_narrow_labels_is_exact(label: bytes) -> None:
    mail = parse_mail(text_mail(GBK_ONLY.encode("gbk"), label))

    assert mail.text == GBK_ONLY
    assert mail.defects == ()


def test_base64_gbk_body_labelled_gb2312_is_exact() -> None:
    part = (
        b'Content-Type: text/plain; charset="gb2312"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(GBK_ONLY.encode("gbk"))
    )
    assert parse_mail(multipart(part)).text == GBK_ONLY


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        (b"big5", "我哋嘅訂單㗎", "big5hkscs"),
        (b"shift_jis", "①番の商品が壊れていました", "cp932"),
        (b"ks_c_5601-1987", "주문한 상품이 파손되었습니다", "cp949"),
        (b"iso-8859-1", "Price was 20€ – too much", "cp1252"),
        (b"us-ascii", "naïve café", "utf-8"),
        (b"windows-874", "สินค้าเสียหาย", "cp874"),
    ],
)
def test_charset_aliases_decode_what_clients_really_send(
    label: bytes, text: str, codec: str
) -> None:
    assert parse_mail(text_mail(text.encode(codec), label)).text == text


@pytest.mark.parametrize("label", [b"unknown-8bit", b"x-user-defined", b"no-such-charset"])
def test_labels_python_lacks_give_text_and_a_defect(label: bytes) -> None:
    mail = parse_mail(text_mail("订单 broken".encode(), label))

    assert mail.text == "订单 broken"
    assert any(label.decode() in d for d in mail.defects)


def test_undecodable_body_is_replaced_and_flagged() -> None:
    mail = parse_mail(text_mail(b"abc \xff\xfe\x80\x81\xff", b"utf-8"))

    assert mail.text.startswith("abc ") and "\ufffd" in mail.text
    assert any("replaced" in d for d in mail.defects)


def test_gbk_encoded_words_in_subject_and_name_are_exact() -> None:
    raw = (
        b"From: " + word("李喆") + b" <LiZhe@Example.COM>\r\n"
        b"Subject: " + word("投诉：朱镕基") + b"\r\n " + word("王堃", "GB2312") + b"\r\n"
        b"Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n\r\nbody"
    )
    mail = parse_mail(raw)

    assert mail.from_name == "李喆"
    assert mail.from_address == "lizhe@example.com"
    assert mail.subject == "投诉：朱镕基王堃"


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    raw = (
        "From: Zoë 张伟 <zw@example.com>\r\nSubject: 投诉 — naïve\r\n"
        "Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n\r\nbody"
    ).encode()
    mail = parse_mail(raw)

    assert (mail.from_name, mail.subject) == ("Zoë 张伟", "投诉 — naïve")
    assert mail.headers["subject"] == ["投诉 — naïve"]


def test_an_encoded_comma_in_a_name_does_not_split_the_sender() -> None:
    raw = b"From: =?utf-8?Q?Wang=2C_Fang?= <wf@example.com>\r\nSubject: x\r\n\r\nbody"

    mail = parse_mail(raw)

    assert (mail.from_name, mail.from_address) == ("Wang, Fang", "wf@example.com")


def test_an_ambiguous_sender_address_is_not_guessed() -> None:
    """CVE-2023-27043: the standard parser reads two addresses out of this header."""
    raw = b"From: alice@example.org)<bob@example.org>\r\nSubject: x\r\n\r\nbody"

    mail = parse_mail(raw)

    assert mail.from_address == ""
    assert any("sender" in d for d in mail.defects)


def test_a_bare_mailer_daemon_sender_is_kept_for_the_automatic_mail_check() -> None:
    mail = parse_mail(b"From: MAILER-DAEMON\r\nSubject: failure\r\n\r\nbody")

    assert mail.from_address == "mailer-daemon"


# --- file names -------------------------------------------------------------------------


def attachment_part(disposition: bytes, kind: bytes = b"image/jpeg") -> bytes:
    return (
        b"Content-Type: " + kind + b"\r\n" + disposition + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ"
    )


def test_rfc2231_filename_with_continuations() -> None:
    part = attachment_part(
        b"Content-Disposition: attachment;\r\n"
        b" filename*0*=utf-8''%E7%A0%B4%E6%8D%9F;\r\n"
        b" filename*1*=%E7%85%A7%E7%89%87.jpg"
    )
    mail = parse_mail(multipart(PLAIN, part))

    assert [a.filename for a in mail.attachments] == ["破损照片.jpg"]
    assert mail.attachments[0].payload.startswith(b"\xff\xd8")


def test_rfc2231_filename_labelled_gb2312_with_gbk_bytes_is_exact() -> None:
    quoted = "".join(f"%{byte:02X}" for byte in "王堃的发票.pdf".encode("gbk"))
    part = attachment_part(
        b"Content-Disposition: attachment; filename*=gb2312''" + quoted.encode(),
        b"application/pdf",
    )

    assert parse_mail(multipart(PLAIN, part)).attachments[0].filename == "王堃的发票.pdf"


def test_rfc2047_encoded_filename_in_content_type_name() -> None:
    part = attachment_part(
        b"Content-Disposition: attachment", b'image/jpeg; name="' + word("喆.jpg") + b'"'
    )

    assert parse_mail(multipart(PLAIN, part)).attachments[0].filename == "喆.jpg"


def test_raw_utf8_filename() -> None:
    part = attachment_part('Content-Disposition: attachment; filename="破损.jpg"'.encode())

    assert parse_mail(multipart(PLAIN, part)).attachments[0].filename == "破损.jpg"


def test_hostile_attachment_names_are_cleaned() -> None:
    part = attachment_part(b'Content-Disposition: attachment; filename="../../etc/CON"')

    assert parse_mail(multipart(PLAIN, part)).attachments[0].filename == "_CON"


def test_inline_images_without_names_get_names() -> None:
    image = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(PNG)
    jpeg = b"Content-Type: image/jpeg\r\nContent-ID: <i2>\r\n\r\nraw"
    related = (
        b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
        b"--r\r\n" + HTML + b"\r\n--r\r\n" + image + b"\r\n--r\r\n" + jpeg + b"\r\n--r--"
    )
    mail = parse_mail(multipart(related))

    assert [a.filename for a in mail.attachments] == ["image-1.png", "image-2.jpg"]
    assert mail.attachments[0].payload == PNG
    assert mail.attachments[0].content_type == "image/png"


def test_named_text_parts_and_non_text_parts_are_attachments() -> None:
    log_part = b'Content-Type: text/plain; name="log.txt"\r\n\r\nerror 42'
    calendar = b"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR"
    mail = parse_mail(multipart(PLAIN, log_part, calendar))

    assert mail.text == "the kettle leaks"
    assert [a.filename for a in mail.attachments] == ["log.txt", "text-1.ics"]


def test_parts_inside_an_attached_container_are_attachments() -> None:
    inner = (
        b'Content-Type: multipart/mixed; boundary="in"\r\n'
        b"Content-Disposition: attachment\r\n\r\n"
        b"--in\r\nContent-Type: text/plain\r\n\r\nnot the body\r\n--in--"
    )
    mail = parse_mail(multipart(PLAIN, inner))

    assert mail.text == "the kettle leaks"
    assert [a.payload for a in mail.attachments] == [b"not the body"]


def test_winmail_dat_is_kept_and_flagged() -> None:
    tnef = (
        b'Content-Type: application/ms-tnef; name="winmail.dat"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(b"\x78\x9f\x3e\x22rest")
    )
    mail = parse_mail(multipart(PLAIN, tnef))

    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert mail.attachments[0].payload == b"\x78\x9f\x3e\x22rest"
    assert any(
        "winmail.dat (Outlook TNEF) attachment could not be opened" in d for d in mail.defects
    )


# --- broken structure -------------------------------------------------------------------


def test_multipart_without_boundary_gives_body_and_defect() -> None:
    raw = HEAD + b"Content-Type: multipart/mixed\r\n\r\nthe kettle leaks\r\n"
    mail = parse_mail(raw)

    assert "the kettle leaks" in mail.text
    assert any("without a boundary" in d for d in mail.defects)


def test_missing_closing_boundary_keeps_the_text_and_is_recorded() -> None:
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nthe kettle leaks\r\n"
    )
    mail = parse_mail(raw)

    assert mail.text == "the kettle leaks"
    assert any("not closed" in d for d in mail.defects)


def test_a_boundary_that_never_appears_gives_the_body_as_text() -> None:
    raw = HEAD + b'Content-Type: multipart/mixed; boundary="gone"\r\n\r\nthe kettle leaks\r\n'
    mail = parse_mail(raw)

    assert "the kettle leaks" in mail.text
    assert mail.defects


def test_damaged_base64_is_decoded_as_far_as_possible() -> None:
    part = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=!!!\r\n"
    mail = parse_mail(multipart(part))

    assert mail.text.startswith("hello")


def test_nul_bytes_never_reach_the_text() -> None:
    """PostgreSQL text columns refuse NUL."""
    mail = parse_mail(text_mail(b"a\x00b\r\nc", b"utf-8"))

    assert mail.text == "ab\nc"


# --- HTML -------------------------------------------------------------------------------


def test_html_only_mail_gets_plain_text_and_keeps_the_raw_html() -> None:
    html = (
        b"<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        b"<p>The kettle &amp; lid</p><div>leak<br>badly</div><img src='https://x/t.gif'>"
        b"</body></html>"
    )
    mail = parse_mail(HEAD + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html)

    assert mail.text == "The kettle & lid\n\nleak\nbadly"
    assert mail.html is not None and "<script>alert(1)</script>" in mail.html


def test_alternative_prefers_the_plain_part() -> None:
    mail = parse_mail(multipart(PLAIN, HTML, kind=b"alternative"))

    assert mail.text == "the kettle leaks"
    assert mail.html == "<p>the <b>HTML</b> kettle</p>"


def test_an_empty_plain_alternative_falls_back_to_the_html() -> None:
    empty = b"Content-Type: text/plain; charset=utf-8\r\n\r\n  \r\n"

    assert parse_mail(multipart(empty, HTML, kind=b"alternative")).text == "the HTML kettle"


def test_gbk_html_labelled_gb2312_is_exact() -> None:
    html = f"<p>{GBK_ONLY}</p>".encode("gbk")
    mail = parse_mail(HEAD + b"Content-Type: text/html; charset=gb2312\r\n\r\n" + html)

    assert mail.text == GBK_ONLY


# --- forwarded customer mail ------------------------------------------------------------

INNER = (
    b"From: " + word("王芳", "utf-8", "utf-8") + b" <WangFang@Customer.example>\r\n"
    b"To: service@shop.example\r\n"
    b"Subject: " + word("空调不制冷", "utf-8", "utf-8") + b"\r\n"
    b"Date: Fri, 27 Nov 2026 09:00:00 +0800\r\n"
    b"Message-ID: <inner@customer.example>\r\n"
    b"Content-Type: text/plain; charset=gb2312\r\n\r\n" + "我家的空调不制冷了。王堃".encode("gbk")
)
FORWARD_HEAD = (
    b"From: Staff <Staff@Shop.example>\r\n"
    b"To: complaints@shop.example\r\n"
    b"Date: Sat, 28 Nov 2026 09:00:00 +0800\r\n"
    b"Message-ID: <outer@shop.example>\r\n"
)
ATTACHED_INNER = b"Content-Type: message/rfc822\r\n\r\n" + INNER


def forward(subject: bytes, note: bytes = b"FYI", *extra: bytes) -> ParsedMail:
    head = FORWARD_HEAD + b"Subject: " + subject + b"\r\n"
    note_part = b"Content-Type: text/plain\r\n\r\n" + note
    return parse_mail(multipart(note_part, ATTACHED_INNER, *extra, head=head))


@pytest.mark.parametrize(
    "subject", [b"Fwd: x", b"FW: x", b"fw: x", b"\xe8\xbd\xac\xe5\x8f\x91: x", b"[Fwd: x]"]
)
def test_forwarded_customer_mail_is_the_complaint(subject: bytes) -> None:
    mail = forward(subject)

    assert (mail.from_name, mail.from_address) == ("王芳", "wangfang@customer.example")
    assert mail.subject == "空调不制冷"
    assert mail.text == "我家的空调不制冷了。王堃"
    assert mail.date == datetime(2026, 11, 27, 9, tzinfo=timezone(timedelta(hours=8)))
    assert mail.message_id == "<inner@customer.example>"
    assert mail.forwarded_by == "staff@shop.example"


def test_a_forward_keeps_the_outer_routing_headers() -> None:
    mail = forward(b"Fwd: x")

    assert mail.headers["from"] == ["Staff <Staff@Shop.example>"]
    assert mail.to_addresses == ("complaints@shop.example",)
    assert mail.content_type == "multipart/mixed"


def test_a_forward_keeps_the_forwarders_other_attachments() -> None:
    photo = attachment_part(b'Content-Disposition: attachment; filename="photo.jpg"')

    mail = forward(b"Fwd: x", b"FYI", photo)

    assert [a.filename for a in mail.attachments] == ["photo.jpg"]


def test_a_short_note_with_the_inner_subject_is_a_forward_without_prefix() -> None:
    subject = "空调不制冷".encode()

    assert forward(subject, b"").forwarded_by == "staff@shop.example"


def test_a_customer_attaching_an_old_mail_stays_the_sender() -> None:
    """A long complaint of its own with an old mail attached is not a forward."""
    mail = forward(b"Still broken", "我又写信了。".encode() * 100)

    assert mail.from_address == "staff@shop.example"
    assert mail.forwarded_by is None
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]
    assert mail.attachments[0].payload.startswith(b"From: ")


def test_two_attached_mails_are_not_a_forward() -> None:
    mail = forward(b"Fwd: two", b"FYI", ATTACHED_INNER)

    assert mail.forwarded_by is None
    assert len(mail.attachments) == 2


# --- headers ----------------------------------------------------------------------------


def test_headers_are_lower_cased_and_keep_every_occurrence() -> None:
    raw = HEAD + b"Received: one\r\nRECEIVED: two\r\nX-Loop: a\r\n\r\nbody"
    mail = parse_mail(raw)

    assert mail.headers["received"] == ["one", "two"]
    assert mail.headers["x-loop"] == ["a"]


def test_message_ids_are_normalised() -> None:
    raw = (
        b"From: a@example.com\r\nMessage-ID:  <m1@example.com> \r\n"
        b"In-Reply-To: <ack-1@shop.example> (our acknowledgment)\r\n"
        b"References: <r1@x>\r\n <r2@x>\r\nReferences: <r3@x>\r\n\r\nbody"
    )
    mail = parse_mail(raw)

    assert mail.message_id == "<m1@example.com>"
    assert mail.in_reply_to == "<ack-1@shop.example>"
    assert mail.references == ("<r1@x>", "<r2@x>", "<r3@x>")


def test_missing_message_id_is_none() -> None:
    assert parse_mail(b"From: a@example.com\r\n\r\nbody").message_id is None


def test_date_is_timezone_aware() -> None:
    mail = parse_mail(HEAD + b"\r\nbody")

    assert mail.date == datetime(2026, 11, 28, 2, tzinfo=UTC)
    assert mail.date is not None and mail.date.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "value", [b"not a date", b"Sat, 31 Feb 2026 10:00:00 +0800", b"Sat, 28 Nov 2026 10:00:00"]
)
def test_bad_dates_are_none_and_a_defect(value: bytes) -> None:
    mail = parse_mail(b"From: a@example.com\r\nDate: " + value + b"\r\n\r\nbody")

    assert mail.date is None
    assert any("Date" in d for d in mail.defects)


def test_minus_zero_zone_means_utc() -> None:
    mail = parse_mail(b"From: a@example.com\r\nDate: Sat, 28 Nov 2026 10:00:00 -0000\r\n\r\nx")

    assert mail.date == datetime(2026, 11, 28, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"<>", ""),
        (b"<Bounce@Example.com>", "Bounce@Example.com"),
        (b" <> ", ""),
        (b"a@b.c", "a@b.c"),
    ],
)
def test_return_path_loses_its_angle_brackets(value: bytes, expected: str) -> None:
    mail = parse_mail(b"Return-Path: " + value + b"\r\nFrom: a@example.com\r\n\r\nbody")

    assert mail.return_path == expected


def test_absent_return_path_is_none() -> None:
    assert parse_mail(b"From: a@example.com\r\n\r\nbody").return_path is None


def test_subject_is_unfolded_and_stripped_of_control_characters() -> None:
    raw = (
        b"From: a@example.com\r\n"
        b"Subject: broken\r\n kettle\x07 =?utf-8?Q?and=0D=0ABcc:_x?=\r\n\r\nx"
    )
    mail = parse_mail(raw)

    assert mail.subject == "broken kettle and  Bcc: x"


def test_recipients_are_lower_cased_and_listed_once() -> None:
    raw = (
        b'From: a@example.com\r\nTo: "Service, Shop" <Service@Shop.example>, b@x.org\r\n'
        b"To: b@x.org\r\n\r\nx"
    )

    assert parse_mail(raw).to_addresses == ("service@shop.example", "b@x.org")


def test_nothing_in_the_result_holds_lone_surrogates() -> None:
    """Raw 8-bit bytes that are not UTF-8 anywhere must not reach the database as surrogates."""
    raw = (
        b"From: \xcd\xf5 <a@example.com>\r\nSubject: \xff\xfe\r\nX-\xe9: \xe9\r\n"
        b"Message-ID: <\xe9@x>\r\nContent-Type: text/\xe9\r\n\r\nbody"
    )
    mail = parse_mail(raw)

    values = [mail.subject, mail.from_name, mail.message_id or "", mail.content_type]
    values += [k for k in mail.headers] + [v for vs in mail.headers.values() for v in vs]
    for value in values:
        value.encode("utf-8")  # raises on a lone surrogate


# --- limits and hostile input -----------------------------------------------------------


def test_limits_are_checked_before_parsing() -> None:
    raw = HEAD + b"\r\n" + b"A" * (100 * 1024 * 1024)

    started = time.monotonic()
    with pytest.raises(MailRejected, match="100 MB"):
        parse_mail(raw)
    assert time.monotonic() - started < 2


def test_thousands_of_nested_multiparts_are_refused_quickly() -> None:
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(3000)
    )
    started = time.monotonic()
    with pytest.raises(MailRejected, match="multipart sections"):
        parse_mail(HEAD + opening + b"Content-Type: text/plain\r\n\r\nx")
    assert time.monotonic() - started < 2


def test_a_one_megabyte_header_line_is_refused() -> None:
    with pytest.raises(MailRejected, match="header line"):
        parse_mail(HEAD + b"Subject: " + b"x" * 1_048_576 + b"\r\n\r\nbody")


def test_too_many_parts_found_after_parsing_are_refused() -> None:
    """Parts without boundaries of their own (attached messages) escape the cheap scan."""
    inner = b"Content-Type: message/rfc822\r\n\r\nFrom: x@y\r\n\r\nhi"
    with pytest.raises(MailRejected, match="parts"):
        parse_mail(multipart(*[inner] * 6), MailLimits(max_parts=10))


def test_check_limits_is_public_from_mime() -> None:
    with pytest.raises(MailRejected):
        check_limits(b"x" * 11, MailLimits(max_bytes=10))
    assert safe_filename("../x") == "x"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"\x00\x01\x02 binary junk \xff" * 50,
        b"just some text\nwith lines\n",
        b"%PDF-1.7\n",
    ],
)
def test_what_is_not_a_mail_is_refused(raw: bytes) -> None:
    with pytest.raises(MailRejected) as caught:
        parse_mail(raw)

    assert caught.value.reason


def test_an_mbox_from_line_before_the_headers_is_accepted() -> None:
    mail = parse_mail(b"From customer@example.com Sat Nov 28 10:00:00 2026\r\n" + HEAD + b"\r\nhi")

    assert mail.text == "hi"


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@b.c\r\n",
        b"Subject: =?utf-8?B?broken",
        b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b'From: a@b.c\r\nContent-Type: multipart/mixed; boundary=""\r\n\r\n--\r\nx\r\n----\r\n',
        b"From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
        b"From: a@b.c\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n!!!\r\n",
        b"From: a@b.c\r\nContent-Type: text/plain; charset=base64\r\n\r\n\xff\xfe",
        b"From: a@b.c\r\nContent-Type: text/plain; charset*=''%ff\r\n\r\nx",
        b"From: a@b.c\r\nContent-Type: message/rfc822\r\n\r\n",
        b"From: a@b.c\r\nContent-Type: message/rfc822\r\n\r\n\x00\xff",
        b"From: a@b.c\r\nContent-Disposition: attachment; filename*0*=x''%; filename*1=\r\n\r\nx",
        b"From: a@b.c\r\nContent-Type: ;;;/;\r\n\r\nx",
        b"From: a@b.c\r\nDate: Sat, 28 Nov 99999 10:00:00 +9999\r\n\r\nx",
        b"Subject: x\r\nDate: not a date\r\n\r\nbody",
        b"From:\r\n\tmore: stuff\r\n : \r\n\r\n",
    ],
)
def test_broken_input_gives_a_mail_or_a_rejection(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except MailRejected as rejected:
        assert rejected.reason
    else:
        assert isinstance(mail.text, str)


def sample_mail() -> bytes:
    image = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(PNG)
    gbk = b"Content-Type: text/plain; charset=gb2312\r\n\r\n" + GBK_ONLY.encode("gbk")
    head = HEAD.replace(b"Subject: kettle", b"Subject: " + word("投诉"))
    alternative = (
        b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        b"--alt\r\n" + gbk + b"\r\n--alt\r\n" + HTML + b"\r\n--alt--"
    )
    return multipart(alternative, image, ATTACHED_INNER, head=head)


def test_random_damage_never_raises_anything_but_rejection() -> None:
    """GIVEN a realistic mail cut short, overwritten and shuffled at random
    THEN every variant parses to a ParsedMail or is rejected, never crashes."""
    rng = random.Random(20261128)
    original = sample_mail()
    outcomes = {"parsed": 0, "rejected": 0}
    for _ in range(400):
        raw = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(raw) + 1)
            action = rng.random()
            if action < 0.4 and position < len(raw):
                raw[position] = rng.randrange(256)
            elif action < 0.6:
                del raw[position : position + rng.randint(1, 40)]
            elif action < 0.8:
                raw[position:position] = rng.choice([b"\r\n", b"--b1", b"=?", b"\r\n\r\n", b";"])
            else:
                raw = raw[:position]
        try:
            parse_mail(bytes(raw))
        except MailRejected:
            outcomes["rejected"] += 1
        else:
            outcomes["parsed"] += 1
    assert outcomes["parsed"] > 100


def test_random_bytes_are_rejected_or_parsed() -> None:
    rng = random.Random(7)
    for _ in range(200):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000)))
        for candidate in (raw, b"From: a@b.c\r\n" + raw):
            with contextlib.suppress(MailRejected):
                assert isinstance(parse_mail(candidate).text, str)
