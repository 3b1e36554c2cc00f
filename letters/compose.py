"""Building outgoing mail safely.

Every header is built with ``EmailMessage`` and ``Address`` (which quote display
names and encode non-ASCII text per RFC 2047), and control characters are stripped
from every value first: a customer's name or subject with CR/LF in it must never add
a header. Message-id headers are folded by hand, because the library RFC 2047-encodes
a long one, which no mail client can then match for threading.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime
from pathlib import PurePosixPath, PureWindowsPath

__all__ = [
    "AddressError",
    "build_message",
    "clean_header",
    "is_sendable_address",
    "make_message_id",
]

# cte_type="7bit": bodies go out base64 / quoted-printable, never raw 8-bit, so the mail
# is valid for servers without 8BITMIME and survives relays that re-encode (and DKIM).
POLICY = SMTP.clone(cte_type="7bit")
MAX_REFERENCES = 20
_SPACES = re.compile(r"\s+")
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # printable ASCII without < > or space
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_FIELD_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ':'
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class AddressError(ValueError):
    """An address that cannot be put in a header (empty, malformed, non-ASCII local part)."""


def clean_header(value: str, limit: int = 500) -> str:
    """One line, no control characters: the value can only ever be one header.

    Besides ASCII controls this drops Unicode line and paragraph separators (which
    ``str.splitlines`` treats as line breaks) and bidi overrides (which make a name
    display in a different order than it is stored).
    """
    kept = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in value
        if char not in _BIDI_CONTROLS
    )
    line = _SPACES.sub(" ", kept).strip()
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
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(from_name, from_address)
    msg["To"] = _address(to_name, to_address)
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(_aware(date or datetime.now(UTC)))
    msg["Message-ID"] = _id_header("Message-ID", [_required_id(message_id)])
    _set_thread_headers(msg, in_reply_to, references)
    if auto_reply:
        # RFC 3834: well-behaved auto-responders do not answer this, so no loop starts;
        # the Microsoft header asks Exchange/Outlook not to send out-of-office replies.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg[_field_name(loop_header)] = clean_header(loop_value) or "1"
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for filename, content_type, payload in attachments:
        _attach(msg, filename, content_type, payload)
    return msg.as_bytes()


def _address(name: str, address: str) -> Address:
    spec = clean_header(address, limit=320)
    local, _, domain = spec.rpartition("@")
    if not local or not domain:
        raise AddressError("not an email address")
    if not local.isascii():
        raise AddressError("non-ASCII local part needs SMTPUTF8, which we do not use")
    try:
        return Address(
            display_name=clean_header(name, limit=200), addr_spec=f"{local}@{_idna(domain)}"
        )
    except (HeaderParseError, ValueError, IndexError) as err:
        raise AddressError("not an email address") from err


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


def _set_thread_headers(
    msg: EmailMessage, in_reply_to: str | None, references: Sequence[str]
) -> None:
    """In-Reply-To the customer's mail; References = their chain plus that mail (RFC 5322)."""
    parent = normalise_id(in_reply_to) if in_reply_to else None
    chain = _trimmed_chain([*references, *([parent] if parent else [])])
    if parent:
        msg["In-Reply-To"] = _id_header("In-Reply-To", [parent])
    if chain:
        msg["References"] = _id_header("References", chain)


def _trimmed_chain(values: Iterable[str]) -> list[str]:
    """Valid, de-duplicated ids; a long chain keeps its first and latest ids, as MUAs do."""
    ids = list(dict.fromkeys(i for i in (normalise_id(v) for v in values) if i is not None))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


class _IdHeader(str):
    """A header made of message ids, folded only between ids and never encoded."""

    name: str
    ids: tuple[str, ...]

    def __new__(cls, name: str, ids: Sequence[str]) -> _IdHeader:
        header = super().__new__(cls, " ".join(ids))
        header.name = name
        header.ids = tuple(ids)
        return header

    def fold(self, *, policy: Policy) -> str:
        """Called by the email generator instead of its own folding."""
        limit = policy.max_line_length or 998
        lines = [f"{self.name}:"]
        for msg_id in self.ids:
            if len(lines[-1]) + 1 + len(msg_id) > limit and lines[-1] != f"{self.name}:":
                lines.append("")
            lines[-1] += f" {msg_id}"
        return policy.linesep.join(lines) + policy.linesep


def _id_header(name: str, ids: Sequence[str]) -> _IdHeader:
    return _IdHeader(name, ids)


def _attach(msg: EmailMessage, filename: str, content_type: str, payload: bytes) -> None:
    maintype, _, subtype = clean_header(content_type).lower().partition("/")
    if not (maintype.isascii() and subtype.isascii() and maintype.isalpha() and subtype):
        maintype, subtype = "application", "octet-stream"
    msg.add_attachment(
        payload, maintype=maintype, subtype=subtype, filename=_safe_filename(filename)
    )


def _safe_filename(filename: str) -> str:
    """The last path component only, so a name can never point into a directory."""
    name = PureWindowsPath(PurePosixPath(clean_header(filename, limit=255)).name).name
    return name.strip(". ") or "attachment"
