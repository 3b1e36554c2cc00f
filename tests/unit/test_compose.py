"""Building outgoing mail: headers that cannot be injected, threads that thread."""

from __future__ import annotations

import email
import random
import re
import string
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.message import EmailMessage
from email.policy import compat32, default
from typing import Any

import pytest

from letters.compose import (
    POLICY,
    AddressError,
    build_message,
    is_sendable_address,
    make_message_id,
)

OWN_ID = "<3f2a9c1e0b6d4f5e8a7b6c5d4e3f2a1b@shop.example>"
CUSTOMER_ID = "<CAF=abc123.def456@mail.customer.example>"


def build(**changes: Any) -> bytes:
    values: dict[str, Any] = {
        "from_name": "Customer Service",
        "from_address": "complaints@shop.example",
        "to_name": "Jane Doe",
        "to_address": "jane@customer.example",
        "subject": "[CP-2026-000001] We have received your complaint",
        "text": "Thank you.\n",
        "html": "<p>Thank you.</p>\n",
        "message_id": OWN_ID,
        "date": datetime(2026, 3, 5, 9, 30, tzinfo=UTC),
    }
    values.update(changes)
    return build_message(**values)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line and line[0] not in " \t"]


def test_subject_with_crlf_yields_one_subject_and_no_bcc() -> None:
    """GIVEN a subject smuggling a Bcc line WHEN built THEN it stays inside the one Subject."""
    raw = build(subject="Hi\r\nBcc: evil@x.example")

    names = [name.lower() for name in header_names(raw)]
    assert names.count("subject") == 1
    assert "bcc" not in names
    assert parse(raw)["Subject"] == "Hi Bcc: evil@x.example"


def test_display_name_with_crlf_and_address_syntax_yields_one_recipient() -> None:
    raw = build(to_name='Eve <eve@x.example>, "Mallory"\r\nCc: spy@x.example')

    message = parse(raw)
    names = [name.lower() for name in header_names(raw)]
    assert "cc" not in names and "bcc" not in names
    addresses = message["To"].addresses
    assert [a.addr_spec for a in addresses] == ["jane@customer.example"]
    assert addresses[0].display_name == 'Eve <eve@x.example>, "Mallory" Cc: spy@x.example'


def test_address_with_crlf_is_refused_not_sent() -> None:
    with pytest.raises(AddressError):
        build(to_address="jane@customer.example\r\nBcc: evil@x.example")


@pytest.mark.parametrize("address", ["", "no-at-sign", "a b@c d", "@example.com", "用户@例子.cn"])
def test_unusable_address_raises_address_error(address: str) -> None:
    with pytest.raises(AddressError):
        build(to_address=address)


def test_unicode_line_separators_in_subject_are_removed() -> None:
    raw = build(subject="One\u2028Two\u2029Three\x85Four\x00")

    assert parse(raw)["Subject"] == "One Two Three Four"


def test_non_ascii_subject_and_names_are_rfc2047_encoded_and_round_trip() -> None:
    subject = "[CP-2026-000001] 我们已收到您的投诉，谢谢 (测试 long subject to force folding)"
    raw = build(subject=subject, from_name="客户服务部", to_name="张三, 经理")

    message = parse(raw)
    assert raw.isascii()
    assert b"=?utf-8?" in raw
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "客户服务部"
    assert message["To"].addresses[0].display_name == "张三, 经理"


def test_internationalised_domain_is_sent_as_punycode() -> None:
    message = parse(build(to_address="kunde@bücher.example"))

    assert message["To"].addresses[0].addr_spec == "kunde@xn--bcher-kva.example"


def test_utf8_bodies_round_trip_as_text_and_html_alternatives() -> None:
    raw = build(text="您好！\n请回复您的电话。\n", html="<p>您好！</p>\n")

    message = parse(raw)
    assert raw.isascii()
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == "您好！\n请回复您的电话。\n"
    assert "<p>您好！</p>" in html.get_content()


def test_text_only_mail_is_single_part() -> None:
    message = parse(build(html=None))

    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"


def test_auto_reply_headers_mark_the_mail_as_automatic() -> None:
    message = parse(build(auto_reply=True))

    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["X-Complaints-Loop"] == "1"
    assert "Precedence" not in message


def test_staff_mail_has_no_auto_reply_headers_but_keeps_the_loop_header() -> None:
    message = parse(build(auto_reply=False, loop_header="X-Shop-Loop", loop_value="shop-1"))

    assert "Auto-Submitted" not in message
    assert "X-Auto-Response-Suppress" not in message
    assert message["X-Shop-Loop"] == "shop-1"


@pytest.mark.parametrize("name", ["X-Bad:Name", "X Bad", "X-Bad\r\nBcc", ""])
def test_invalid_loop_header_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError):
        build(loop_header=name)


def test_reply_threads_to_the_customer_mail() -> None:
    """GIVEN the customer's mail and its own chain THEN References is that chain plus the mail."""
    earlier = "<first@mail.customer.example>"
    message = parse(build(in_reply_to=CUSTOMER_ID, references=[earlier]))

    assert message["Message-ID"] == OWN_ID
    assert message["In-Reply-To"] == CUSTOMER_ID
    assert message["References"].split() == [earlier, CUSTOMER_ID]


def test_long_message_ids_are_folded_between_ids_never_encoded() -> None:
    """A long id must stay byte-for-byte intact, or no mail client can thread on it."""
    long_ids = [
        f"<{'A' * 60}.{n}@mail.very-long-domain-name.outlook.example.com>" for n in range(3)
    ]
    raw = build(in_reply_to=long_ids[-1], references=long_ids[:-1])

    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?" not in head
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert parse(raw)["References"].split() == long_ids
    assert parse(raw)["In-Reply-To"] == long_ids[-1]


def test_malformed_reference_ids_are_dropped_and_bare_ids_bracketed() -> None:
    message = parse(
        build(in_reply_to="bare@customer.example", references=["has space@x", "<日本@x>", ""])
    )

    assert message["In-Reply-To"] == "<bare@customer.example>"
    assert message["References"] == "<bare@customer.example>"


def test_long_reference_chain_keeps_the_first_and_latest_ids() -> None:
    chain = [f"<m{n}@customer.example>" for n in range(50)]

    ids = parse(build(references=chain[:-1], in_reply_to=chain[-1]))["References"].split()

    assert len(ids) == 20
    assert ids[0] == chain[0]
    assert ids[1:] == chain[-19:]


def test_malformed_own_message_id_is_refused() -> None:
    with pytest.raises(ValueError):
        build(message_id="<not an id>")


def test_date_header_is_the_given_time_and_naive_means_utc() -> None:
    aware = parse(build(date=datetime(2026, 3, 5, 17, 30, tzinfo=timezone(timedelta(hours=8)))))
    naive = parse(build(date=datetime(2026, 3, 5, 9, 30)))

    assert aware["Date"].datetime == datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    assert naive["Date"].datetime == datetime(2026, 3, 5, 9, 30, tzinfo=UTC)


def test_attachments_keep_content_and_lose_any_path() -> None:
    pdf = b"%PDF-1.4 test"
    raw = build(attachments=[("../../etc/回执 CP-1.pdf", "application/pdf", pdf)])

    message = parse(raw)
    parts = list(message.iter_attachments())
    assert message.get_content_type() == "multipart/mixed"
    assert len(parts) == 1
    assert parts[0].get_filename() == "回执 CP-1.pdf"
    assert parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_content() == pdf


def test_attachment_with_a_bogus_type_is_sent_as_octet_stream() -> None:
    message = parse(build(attachments=[("x.bin", "nonsense\r\nX-Evil: 1", b"\x00\x01")]))

    part = next(iter(message.iter_attachments()))
    assert part.get_content_type() == "application/octet-stream"
    assert "X-Evil" not in part


def test_output_uses_crlf_line_ends_only() -> None:
    raw = build()

    assert b"\r\n" in raw
    assert re.search(rb"(?<!\r)\n", raw) is None


def test_make_message_id_is_unique_and_well_formed() -> None:
    ids = {make_message_id("shop.example") for _ in range(100)}

    assert len(ids) == 100
    assert all(re.fullmatch(r"<[0-9a-f]{32}@shop\.example>", i) for i in ids)


@pytest.mark.parametrize("domain", ["", "bad domain", "x\r\ny", "-dash.example"])
def test_make_message_id_refuses_unusable_domains(domain: str) -> None:
    with pytest.raises(ValueError):
        make_message_id(domain)


@pytest.mark.parametrize(
    ("address", "sendable"),
    [
        ("jane@customer.example", True),
        ("kunde@bücher.example", True),
        ("用户@例子.cn", False),
        ("no-at-sign", False),
        ("jane@customer.example\r\nBcc: x@y", False),
        ("", False),
    ],
)
def test_is_sendable_address_predicts_build_message(address: str, sendable: bool) -> None:
    assert is_sendable_address(address) is sendable


def test_headers_are_written_exactly_as_the_library_writes_them() -> None:
    """The short cut for short printable ASCII headers changes no byte: seeded random
    values (spaces at the ends, runs of spaces, punctuation, lengths around the fold
    limit) and the values it must leave to the library (non-ASCII, tabs, line breaks,
    long lines, header objects) come out as ``compat32`` writes them."""
    library = compat32.clone(linesep="\r\n", mangle_from_=False)
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " ;:,.<>\"'()=@-_/?"
    values: list[str | Header] = [
        "", " ", "x", "=?utf-8?q?caf=C3=A9?=", "tab\there", "line\r\nbreak", "我们已收到",
        "Café", "a " * 60, Header("[CP-1] 我们已收到", "utf-8")]
    for _ in range(5000):
        values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))))
    for name in ("Subject", "To", "X-Complaints-Loop"):
        for value in values:
            expected = library.fold_binary(name, value)  # type: ignore[arg-type]  # Headers too
            assert POLICY.fold_binary(name, value) == expected, value


def test_address_checks_kept_for_reuse_give_the_same_answers() -> None:
    """Checked addresses are kept (each mail checks its recipient three times): a
    refused one is refused every time, and a name does not carry over to another."""
    for _ in range(2):
        assert not is_sendable_address("no-at-sign.example")
        assert is_sendable_address("jane@customer.example")
    first = build(to_name="Jane Doe", to_address="jane@customer.example")
    second = build(to_name="Wang Fang", to_address="jane@customer.example")
    assert b"To: Jane Doe <jane@customer.example>" in first
    assert b"To: Wang Fang <jane@customer.example>" in second


def test_the_mail_bytes_are_those_of_the_library_generator(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """GIVEN varied mails (ASCII and Chinese, short and long lines, CR, LF and CRLF, with
    and without a trailing line end, text alone or with HTML, threaded or not)
    THEN the bytes written without the library's generator are exactly its bytes."""
    from letters import compose

    compared: list[bytes] = []

    def checked(message: Any) -> bytes:
        fast = written(message)
        assert fast == message.as_bytes(policy=POLICY)
        compared.append(fast)
        return fast

    written = compose.as_bytes
    monkeypatch.setattr(compose, "as_bytes", checked)
    rng = random.Random(1206)
    pieces = ["Thank you.", "感谢您的来信，我们已收到。", "a" * 120, "=?utf-8?q?x?=", "From here",
              ".", "", " trailing ", "链接 https://shop.example/s?t=" + "x" * 90, "\t tab"]
    for _ in range(300):
        ends = rng.choice(["\n", "\r\n", "\r"])
        text = ends.join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        text += rng.choice(["", ends])
        build(text=text, html=rng.choice([None, "<p>" + text + "</p>", "<p>短</p>\n"]),
              subject=rng.choice(["Re: x", "[CP-2026-000001] 我们已收到您的投诉" * 3, "s" * 200]),
              to_name=rng.choice(["", "张三", "Jane \"JD\" Doe", "Ünïcode Name" * 5]),
              in_reply_to=rng.choice([None, CUSTOMER_ID]),
              references=rng.choice([(), (CUSTOMER_ID,) * 1, tuple(f"<r{n}@x.example>"
                                                                  for n in range(30))]))
    assert len(compared) == 300


def library_text_part(text: str, subtype: str) -> Any:
    """The part as the library makes it (``set_payload`` with the charset), the reference
    for the one :mod:`letters.compose` writes directly."""
    from email.message import Message

    from letters import compose

    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    reference = compose._text_part(text, subtype)
    charset = {"7bit": compose._UTF8_7BIT, "quoted-printable": compose._UTF8_QP,
               "base64": compose._UTF8_BASE64}[reference["Content-Transfer-Encoding"]]
    if charset is compose._UTF8_BASE64:
        lines = lines.replace("\n", "\r\n")
    part = Message(policy=POLICY)
    part["Content-Type"] = f"text/{subtype}"
    part.set_payload(lines, charset)
    del part["MIME-Version"]
    return part


@pytest.mark.parametrize("text", [
    "", "Thank you.\n", "a" * 1200, "感谢您的来信。\r\n第二行\r", "mostly ASCII “quoted” text\n",
    "=\n.\nFrom x\n", "\t tab and trailing  \n\n", "混合 mixed " * 40,
])
@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_a_text_part_is_the_one_the_library_makes(text: str, subtype: str) -> None:
    """Byte for byte, but for quoted-printable: its soft line breaks may fall elsewhere
    (our C encoder's), so there the decoded text and the line lengths are compared."""
    from letters import compose

    ours, theirs = compose._text_part(text, subtype), library_text_part(text, subtype)
    assert ours.items() == theirs.items()
    assert ours.get_payload(decode=True) == theirs.get_payload(decode=True)
    if ours["Content-Transfer-Encoding"] == "quoted-printable":
        assert all(len(line) <= 76 for line in ours.get_payload().split("\n"))
    else:
        assert ours.get_payload() == theirs.get_payload()
        assert ours.as_bytes(policy=POLICY) == theirs.as_bytes(policy=POLICY)


def test_quoted_printable_lines_decode_to_the_text_and_keep_to_76_characters() -> None:
    """The C encoder writes a line of 77-78 characters when it must encode a space or a
    tab at a line's end; such a text goes to the library's encoder instead."""
    import binascii
    import quopri
    import random

    from letters import compose

    rng = random.Random(7)
    pieces = ["a", " ", "\t", ".", "=", "From ", "—", "é", "  ", "\n", "\n.\n", "-- ", "x" * 70]
    for _ in range(3000):
        data = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))).encode()
        encoded = compose._quoted_printable(data)
        assert quopri.decodestring(encoded.encode("ascii")) == data
        assert all(len(line) <= 76 for line in encoded.split("\n")), encoded
    long_line = b"x" * 75 + b" \nok"  # "xxx…x=20", 78 characters, from the C encoder
    assert len(binascii.b2a_qp(long_line, istext=True).split(b"\n")[0]) == 78
    assert compose._quoted_printable(long_line) == compose._UTF8_QP.body_encode(long_line)
