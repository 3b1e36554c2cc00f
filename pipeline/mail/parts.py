"""Text, HTML and attachments from a parsed MIME tree (``email`` compat32 messages).

compat32 keeps headers and bodies raw (8-bit bytes as surrogate escapes), so every
text part is decoded here with :func:`pipeline.mail.charsets.decode_text` instead
of the charset its label claims.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass, field
from email.errors import MessageError
from email.message import Message

from pipeline.mail.charsets import decode_text
from pipeline.mail.filenames import clean_name, fallback_name
from pipeline.mail.headers import decode_8bit, decode_header_value, raw_header
from pipeline.mail.htmltext import html_to_text
from pipeline.mail.message import MailAttachment

log = logging.getLogger(__name__)

_BODY_TYPES = ("text/plain", "text/html")
_TOKEN = r"[a-z0-9!#$&^_.+-]{1,100}"
_CONTENT_TYPE = re.compile(f"{_TOKEN}/{_TOKEN}")
_LINE_BREAK = re.compile(r"\r\n?")
TNEF_DEFECT = "winmail.dat (Outlook TNEF) attachment could not be opened; it is kept as a file"


@dataclass
class Contents:
    """What a mail says and carries, before it is put into a ParsedMail."""

    text: str = ""
    html: str | None = None
    attachments: list[MailAttachment] = field(default_factory=list)


def content_type(part: Message, fallback: str = "application/octet-stream") -> str:
    """The part's lower-case type, or ``fallback`` when the sender wrote nonsense."""
    kind = part.get_content_type()
    return kind if _CONTENT_TYPE.fullmatch(kind) else fallback


def leaves(message: Message) -> list[tuple[Message, bool]]:
    """Non-multipart parts in order, each with "inside an attached container".

    An attached message (``message/*``) is a leaf: its parts belong to it, not to
    this mail. Iterative, because a hostile mail could nest deeply.
    """
    result: list[tuple[Message, bool]] = []
    stack: list[tuple[Message, bool]] = [(message, False)]
    while stack:
        part, attached = stack.pop()
        # is_multipart() before get_payload(): on a leaf, get_payload() decodes raw bytes
        # with the sender's charset label, which can raise (a NUL in the label).
        if part.is_multipart() and part.get_content_maintype() != "message":
            inside = attached or part.get_content_disposition() == "attachment"
            children = [(p, inside) for p in part.get_payload() if isinstance(p, Message)]
            stack.extend(reversed(children))
        else:
            result.append((part, attached))
    return result


def read_contents(message: Message, defects: list[str], skip: Message | None = None) -> Contents:
    """Body text, raw HTML and attachments of a mail; ``skip`` is left out entirely."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []
    counters: dict[str, int] = {}
    for part, attached in leaves(message):
        if part is skip:
            continue
        try:
            _read_part(part, attached, defects, (plain, html, attachments), counters)
        except Exception as err:  # noqa: BLE001 - one bad part must not lose the complaint
            log.info("a MIME part could not be read: %s", failure_site(err))
            defects.append("a part of the mail could not be read and was left out")
    html_text = "\n".join(html) if html else None
    text = "\n".join(plain).strip()
    if not text and html_text:
        text = html_to_text(html_text)
    return Contents(text=text, html=html_text, attachments=attachments)


def failure_site(err: BaseException) -> str:
    """Exception type and the line that raised it, without the message.

    Messages of the email package quote header values, which are personal data.
    """
    frames = traceback.extract_tb(err.__traceback__)
    site = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(err).__name__}{site}"


def _read_part(
    part: Message,
    attached: bool,
    defects: list[str],
    into: tuple[list[str], list[str], list[MailAttachment]],
    counters: dict[str, int],
) -> None:
    plain, html, attachments = into
    kind = content_type(part)
    if part.get_content_maintype() == "multipart":
        kind = "text/plain"  # a multipart without a usable boundary: its body is text
    name = part_filename(part, defects)
    body = not attached and name is None and part.get_content_disposition() != "attachment"
    if body and kind in _BODY_TYPES:
        (plain if kind == "text/plain" else html).append(text_of(part, defects))
        return
    attachments.append(_attachment(part, kind, name, counters, defects))


def text_of(part: Message, defects: list[str]) -> str:
    """A text part decoded by its charset label's superset; newlines normalised."""
    text, defect = decode_text(payload_of(part), part.get_content_charset())
    if defect:
        defects.append(defect)
    return _LINE_BREAK.sub("\n", text.replace("\x00", "")).lstrip("\ufeff")


def payload_of(part: Message) -> bytes:
    """The decoded bytes of a leaf part (base64 and quoted-printable undone)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def part_filename(part: Message, defects: list[str]) -> str | None:
    """The sender's name for a part: RFC 2231 (``filename*0*=``), RFC 2047 or raw 8-bit."""
    for value in (
        _param(part, "filename", "content-disposition"),
        _param(part, "name", "content-type"),
    ):
        if isinstance(value, tuple):
            charset, _, text = value
            data = str(text).encode("latin-1", "surrogateescape")
            decoded, defect = decode_text(data, charset or None)
            if defect:
                defects.append(f"in an attachment name: {defect}")
            return decoded
        if isinstance(value, str) and value.strip():
            return decode_header_value(value, defects)
    return None


def _param(
    part: Message, name: str, header: str
) -> str | tuple[str | None, str | None, str] | None:
    """A header parameter, with raw 8-bit bytes decoded rather than replaced.

    compat32 turns raw 8-bit bytes in a parameter into U+FFFD before ``get_param`` sees
    them; a raw UTF-8 file name is common, so such headers are decoded first.
    """
    raw = raw_header(part, header)
    if raw is None:
        return None
    if raw.isascii():
        value = part.get_param(name, header=header)
    else:
        view = Message()
        view[header] = decode_8bit(raw, [])
        value = view.get_param(name, header=header)
    return value if isinstance(value, (str, tuple)) else None


def _attachment(
    part: Message, kind: str, name: str | None, counters: dict[str, int], defects: list[str]
) -> MailAttachment:
    payload = _message_bytes(part, defects) if kind.startswith("message/") else payload_of(part)
    filename = clean_name(name)
    if not filename:
        stem = kind.split("/")[0]
        counters[stem] = counters.get(stem, 0) + 1
        filename = fallback_name(kind, counters[stem])
    if kind == "application/ms-tnef" or filename.lower() == "winmail.dat":
        defects.append(TNEF_DEFECT)
    return MailAttachment(filename=filename, content_type=kind, payload=payload)


def _message_bytes(part: Message, defects: list[str]) -> bytes:
    """The body of an attached message part, as bytes a mail program can open."""
    try:
        whole = part.as_bytes()
    except (MessageError, ValueError, LookupError, UnicodeError, TypeError):
        # The generator refuses some damaged headers; the raw mail is kept in the ledger.
        defects.append("an attached message could not be kept")
        return b""
    end = re.search(rb"\r?\n\r?\n", whole)
    return whole[end.end() :] if end else b""
