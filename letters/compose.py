"""Building outgoing mail safely.

Control characters are stripped from every header value first: a customer's name or
subject with CR/LF in it must never add a header. Addresses are checked with the
standard library's RFC 5322 parser and written with ``formataddr`` (which quotes
display names and RFC 2047-encodes non-ASCII ones); other non-ASCII text becomes
RFC 2047 words through ``email.header.Header``.

Why the ``email.mime`` classes and not ``EmailMessage``: the modern API parses every
header it is given into a tree and refolds it on output, three quarters of the cost of
a mail, and an acknowledgment is built for every complaint. Our header values are
already clean, so nothing needs parsing. Message-id headers are never encoded (a
client must match them as they are); long ones fold between ids.
"""

from __future__ import annotations

import binascii
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

__all__ = [
    "AddressError",
    "build_message",
    "clean_header",
    "is_sendable_address",
    "make_message_id",
]


class _Policy(Compat32):
    """``compat32`` that writes a short, printable ASCII header as it is.

    Such a value is what nearly every header of ours is, and ``compat32`` would write
    it unchanged too, after building a ``Header`` object to find that out: a third of
    the cost of building an acknowledgment. Anything else (non-ASCII, a control
    character, a line that needs folding, a ``Header`` object) takes the library's way.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (isinstance(value, str) and value.isascii() and value.isprintable()
                and self.max_line_length and len(name) + 2 + len(value) <= self.max_line_length):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)  # type: ignore[no-any-return]


POLICY = _Policy(linesep="\r\n", mangle_from_=False)
# Bodies go out base64 unless they are short-lined ASCII, never raw 8-bit, so the mail is
# valid for servers without 8BITMIME and survives relays that re-encode (and DKIM).
MAX_LINE = 998  # RFC 5322: longer lines must be encoded
MAX_QP_LINE = 76  # RFC 2045: an encoded line, its soft line break included
_UTF8_7BIT = Charset("utf-8")
_UTF8_7BIT.body_encoding = None  # type: ignore[assignment]  # short-lined ASCII: as it is
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_UTF8_BASE64 = Charset("utf-8")  # base64 is utf-8's default
MAX_REFERENCES = 20
_SPACES = re.compile(r"\s+")
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # printable ASCII without < > or space
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_FIELD_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ':'
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Unicode categories Cc (C0 and C1 controls), Zl and Zp: what could end a header line.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class AddressError(ValueError):
    """An address that cannot be put in a header (empty, malformed, non-ASCII local part)."""


def clean_header(value: str, limit: int = 500) -> str:
    """One line, no control characters: the value can only ever be one header.

    Besides ASCII controls this drops Unicode line and paragraph separators (which
    ``str.splitlines`` treats as line breaks) and bidi overrides (which make a name
    display in a different order than it is stored).
    """
    line = _SPACES.sub(" ", _BREAKS.sub(" ", _BIDI_CONTROLS.sub("", value))).strip()
    return line[:limit].rstrip()


def is_sendable_address(address: str) -> bool:
    """True when ``build_message`` can address a mail to ``address`` (decide before queuing)."""
    try:
        _address("", address)
    except AddressError:
        return False
    return True


def make_message_id(domain: str) -> str:
    """A new globally unique Message-ID, ``<uuid4 hex@domain>``."""
    return f"<{uuid.uuid4().hex}@{_id_domain(domain)}>"


def build_message(
    *,
    from_name: str,
    from_address: str,
    to_name: str,
    to_address: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_reply: bool = True,
    loop_header: str = "X-Complaints-Loop",
    loop_value: str = "1",
    date: datetime | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """Return the bytes of a complete mail, ready for SMTP (CRLF line ends, 7-bit clean).

    ``attachments`` are ``(filename, mime type, content)``. ``date`` defaults to now; a
    naive date is taken as UTC. The loop header is always set, so our own mail is
    recognised if it ever comes back; ``auto_reply`` adds the RFC 3834 markers.
    Raises :class:`AddressError` (a ``ValueError``) for an unusable address and
    ``ValueError`` for a malformed Message-ID or loop header name.
    """
    headers = _headers(
        from_field=_address(from_name, from_address),
        to_field=_address(to_name, to_address),
        subject=subject, message_id=message_id, in_reply_to=in_reply_to,
        references=references, auto_reply=auto_reply,
        loop=(_field_name(loop_header), clean_header(loop_value) or "1"),
        date=_aware(date or datetime.now(UTC)),
    )
    body: Message = _text_part(text, "plain")
    if html is not None:
        body = _container("alternative", [body, _text_part(html, "html")])
    if attachments:
        body = _container("mixed", [body, *(_attachment(*item) for item in attachments)])
    for name, value in headers:
        body[name] = value  # type: ignore[assignment]  # compat32 writes Header-likes
    return body.as_bytes(policy=POLICY) if attachments else as_bytes(body)


_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def as_bytes(message: Message) -> bytes:
    """The bytes ``message.as_bytes(policy=POLICY)`` gives for a mail of text parts and
    multiparts with a boundary set (what :func:`build_message` makes, attachments
    aside), without the library's generator: it writes a payload line by line, with a
    method call per line end, half the cost of building an acknowledgment. Headers are
    folded by the same policy; payloads are transfer-encoded, 7-bit text already.
    """
    out: list[bytes] = []
    _write(message, out)
    return b"".join(out)


def _write(message: Message, out: list[bytes]) -> None:
    for name, value in message.raw_items():
        out.append(POLICY.fold_binary(name, value))
    out.append(b"\r\n")
    if not message.is_multipart():
        payload = message.get_payload()
        if not isinstance(payload, str):
            raise ValueError("a text part without a transfer-encoded payload")
        out.append(_LINE_ENDS.sub("\r\n", payload).encode("ascii"))
        return
    boundary = message.get_boundary()
    parts = message.get_payload()
    if not boundary or not isinstance(parts, list) or not parts:
        raise ValueError("a multipart without a boundary or parts")
    delimiter = f"--{boundary}\r\n".encode("ascii")
    for index, part in enumerate(parts):
        out.append(b"\r\n" + delimiter if index else delimiter)
        _write(part, out)
    out.append(f"\r\n--{boundary}--\r\n".encode("ascii"))


def _headers(
    *, from_field: str, to_field: str, subject: str, message_id: str,
    in_reply_to: str | None, references: Sequence[str], auto_reply: bool,
    loop: tuple[str, str], date: datetime,
) -> list[tuple[str, str | Header | _IdList]]:
    """The top-level headers in order, each already safe to write as it is."""
    headers: list[tuple[str, str | Header | _IdList]] = [
        ("From", from_field), ("To", to_field), ("Subject", _text_header(clean_header(subject))),
        ("Date", format_datetime(date)), ("Message-ID", _required_id(message_id)),
    ]
    parent = normalise_id(in_reply_to) if in_reply_to else None
    chain = _trimmed_chain([*references, *([parent] if parent else [])])
    if parent:  # In-Reply-To the customer's mail; References = their chain plus it
        headers.append(("In-Reply-To", _IdList([parent])))
    if chain:
        headers.append(("References", _IdList(chain)))
    if auto_reply:
        # RFC 3834: well-behaved auto-responders do not answer this, so no loop starts;
        # the Microsoft header asks Exchange/Outlook not to send out-of-office replies.
        headers += [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]
    headers.append(loop)
    return headers


class _IdList:
    """Message ids as one header value: never encoded, folded only between ids.

    A client must match an id byte for byte to thread a reply, and the library would
    fold a long one onto its own line or encode it. The generator calls ``encode``.
    """

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)

    def encode(self, linesep: str = "\r\n", maxlinelen: int | None = None) -> str:
        lines = [self.ids[0]]
        for msg_id in self.ids[1:]:
            if len(lines[-1]) + 1 + len(msg_id) > MAX_LINE - len("References: "):
                lines.append("")
            lines[-1] = f"{lines[-1]} {msg_id}"
        return linesep.join(lines)

    def __str__(self) -> str:
        return " ".join(self.ids)


def _text_header(value: str) -> str | Header:
    """ASCII as it is; otherwise RFC 2047 words, leaving a leading ASCII part readable.

    "[CP-2026-000123] 我们已收到…" keeps its reference in plain text, so a reader of
    the raw mail (or a filter) still sees it.
    """
    if value.isascii():
        return value
    first = next(i for i, char in enumerate(value) if not char.isascii())
    cut = value.rfind(" ", 0, first)
    header = Header(header_name="Subject")
    if cut > 0:
        header.append(value[:cut], "us-ascii")
    header.append(value[cut + 1 :], "utf-8")
    return header


def _text_part(text: str, subtype: str) -> Message:
    """A UTF-8 text part, in the shortest 7-bit form.

    Short-lined ASCII goes as it is; otherwise quoted-printable when the text is mostly
    ASCII (an English letter stays readable in the raw mail, links included) and base64
    when it is not (Chinese is a third longer in base64, three times in QP).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    if lines.isascii() and all(len(line) <= MAX_LINE for line in lines.split("\n")):
        charset = _UTF8_7BIT
    else:
        size = len(lines.encode("utf-8"))
        wide = size - len(lines.encode("ascii", "ignore"))  # bytes QP writes as =XX
        charset = _UTF8_QP if size + 2 * wide <= size * 4 // 3 else _UTF8_BASE64
    if charset is _UTF8_BASE64:  # encoded as one block: line ends go in as CRLF
        lines = lines.replace("\n", "\r\n")
    # What set_payload(lines, charset) makes, less MIME-Version (set once, on the whole
    # mail), written directly: it parses the Content-Type parameters five times over.
    part = Message(policy=POLICY)  # a MIMEText would be built for us-ascii, then redone
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    if charset is _UTF8_7BIT:
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload(lines)
    else:
        part["Content-Transfer-Encoding"] = str(charset.get_body_encoding())
        data = lines.encode("utf-8")
        part.set_payload(_quoted_printable(data) if charset is _UTF8_QP
                         else charset.body_encode(data))
    return part


def _quoted_printable(data: bytes) -> str:
    """``data`` in quoted-printable, by the C encoder: a sixth of the cost of the email
    package's, which is pure Python and ran for most acknowledgments.

    The two differ only in where soft line breaks fall and in a line of a lone "." (the
    C one encodes it, for SMTP's sake); both decode to ``data``. The C one can leave a
    line of 77 or 78 characters when it encodes a space at a line's end: that rare text
    goes to the email package's encoder, so no line is longer than RFC 2045 allows.
    """
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).decode("ascii")
    if max(map(len, encoded.split("\n"))) > MAX_QP_LINE:
        return str(_UTF8_QP.body_encode(data))
    return encoded


def _container(subtype: str, parts: Sequence[Message]) -> Message:
    """A multipart of ``parts`` with a boundary of our own.

    Left without one, the generator makes one up and compiles a regular expression per
    mail to check that no line of the parts is that boundary. A random 128-bit token,
    drawn after the parts were written, cannot be in them; ``=_`` cannot appear in
    quoted-printable or base64 text either.
    """
    container = MIMEMultipart(subtype, boundary=f"=_{uuid.uuid4().hex}", policy=POLICY)
    for part in parts:
        container.attach(part)
    return container


@lru_cache(maxsize=1024)
def _address(name: str, address: str) -> str:
    """``Name <local@domain>`` with the name quoted or RFC 2047-encoded as needed.

    The address is checked with the standard library's RFC 5322 parser (``Address``);
    ``formataddr`` then writes it, which is a tenth of the cost of the header objects.
    Kept for the last thousand: each acknowledgment checks its addresses when it is
    decided and again when it is built, and its From is always one of ours.
    """
    spec = clean_header(address, limit=320)
    local, _, domain = spec.rpartition("@")
    if not local or not domain:
        raise AddressError("not an email address")
    if not local.isascii():
        raise AddressError("non-ASCII local part needs SMTPUTF8, which we do not use")
    addr_spec = f"{local}@{_idna(domain)}"
    try:
        checked = Address(addr_spec=addr_spec).addr_spec
    except (HeaderParseError, ValueError, IndexError) as err:
        raise AddressError("not an email address") from err
    return formataddr((clean_header(name, limit=200), checked), charset="utf-8")


def _idna(domain: str) -> str:
    """Internationalised domain names go into headers as their ASCII (punycode) form."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise AddressError("invalid domain") from err


def _id_domain(domain: str) -> str:
    name = _idna(clean_header(domain).strip(".").lower()) if domain.strip() else ""
    if not _DOMAIN.fullmatch(name):
        raise ValueError(f"not a usable Message-ID domain: {name!r}")
    return name


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _field_name(name: str) -> str:
    if not _FIELD_NAME.match(name):
        raise ValueError(f"not a valid header name: {name!r}")
    return name


def normalise_id(value: str) -> str | None:
    """A message id in canonical ``<…@…>`` form, or None when it cannot be one.

    Ids from other people's mail are untrusted: anything with spaces, controls or
    non-ASCII is dropped rather than "fixed", since a mangled id threads nothing.
    """
    candidate = clean_header(value, limit=998)
    if candidate and not candidate.startswith("<"):
        candidate = f"<{candidate}>"
    return candidate if _MSG_ID.fullmatch(candidate) and len(candidate) <= 900 else None


def _required_id(value: str) -> str:
    message_id = normalise_id(value)
    if message_id is None:
        raise ValueError("not a valid Message-ID")
    return message_id


def _trimmed_chain(values: Iterable[str]) -> list[str]:
    """Valid, de-duplicated ids; a long chain keeps its first and latest ids, as MUAs do."""
    ids = list(dict.fromkeys(i for i in (normalise_id(v) for v in values) if i is not None))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def _attachment(filename: str, content_type: str, payload: bytes) -> Message:
    """A base64 part named by the file's last path component; odd types become octets."""
    maintype, _, subtype = clean_header(content_type).lower().partition("/")
    if not (maintype.isascii() and subtype.isascii() and maintype.isalpha() and subtype
            and _FIELD_NAME.match(subtype)):
        maintype, subtype = "application", "octet-stream"
    part = MIMEBase(maintype, subtype, policy=POLICY)
    del part["MIME-Version"]
    part.set_payload(payload)
    encode_base64(part)
    name = _safe_filename(filename)
    part.add_header("Content-Disposition", "attachment",
                    filename=name if name.isascii() else ("utf-8", "", name))
    return part


def _safe_filename(filename: str) -> str:
    """The last path component only, so a name can never point into a directory."""
    name = PureWindowsPath(PurePosixPath(clean_header(filename, limit=255)).name).name
    return name.strip(". ") or "attachment"
