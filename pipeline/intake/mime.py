"""Raw mail bytes -> ParsedMail, robust against broken and hostile input.

mail-parser builds the MIME tree; we decode headers and text parts ourselves
(:mod:`pipeline.intake.charsets`), because mail-parser trusts charset labels and
silently returns mojibake for GBK text labelled gb2312. Structure limits are checked
on the raw bytes *before* parsing, so a mail bomb is refused without being built.
"""

from __future__ import annotations

import email
import logging
import re
from datetime import datetime
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

import mailparser

from pipeline.intake.charsets import decode_text
from pipeline.intake.filenames import safe_filename
from pipeline.intake.headers import (
    decode_header_value,
    normalise_msgid,
    raw_header,
    raw_headers,
    split_msgids,
)
from pipeline.intake.htmltext import html_to_text
from pipeline.intake.message import MailAttachment, MailLimits, MailRejected, ParsedMail

log = logging.getLogger(__name__)
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

_BOUNDARY_DECL = re.compile(rb"boundary\s*=", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|转发|轉寄|wg)\s*[:：]", re.IGNORECASE)
_MB = 1024 * 1024


def check_limits(raw: bytes, limits: MailLimits) -> None:
    """Refuse, before parsing, mail whose size or structure is beyond what a person sends."""
    if len(raw) > limits.max_bytes:
        raise MailRejected(
            f"The mail is {len(raw) / _MB:.1f} MB; the limit is {limits.max_bytes / _MB:.0f} MB, "
            "so it was not opened."
        )
    header_end = raw.find(b"\n\n")
    if header_end < 0:
        header_end = raw.find(b"\r\n\r\n")
    head = raw if header_end < 0 else raw[:header_end]
    longest = max((len(line) for line in head.split(b"\n")), default=0)
    if longest > limits.max_header_line_bytes:
        raise MailRejected(
            f"A header line is {longest // 1024} KB long "
            f"(limit {limits.max_header_line_bytes // 1024} KB); "
            "the mail looks malformed or hostile and was not opened."
        )
    declared = len(_BOUNDARY_DECL.findall(raw))
    if declared > limits.max_parts:
        raise MailRejected(
            f"The mail declares {declared} nested sections (limit {limits.max_parts}); "
            "it looks malformed or hostile and was not opened."
        )


DEFAULT_LIMITS = MailLimits()


def parse_mail(raw: bytes, limits: MailLimits = DEFAULT_LIMITS) -> ParsedMail:
    """Parse a mail within limits; MailRejected when it cannot be read at all."""
    check_limits(raw, limits)
    if not _looks_like_mail(raw):
        raise MailRejected("This is not an email: it has no mail headers (From, Subject, Date…).")
    try:
        message = mailparser.parse_from_bytes(raw).message
    except Exception as err:
        log.info("mail-parser failed, using the standard parser", exc_info=True)
        message = email.message_from_bytes(raw, policy=compat32)
        defects = [f"mail-parser could not read it ({type(err).__name__})"]
    else:
        defects = []
    _check_structure(message, limits)
    return _build(message, defects)


def _looks_like_mail(raw: bytes) -> bool:
    head = raw[:8192].lower()
    return (
        any(name in head for name in (b"from:", b"subject:", b"message-id:", b"date:", b"to:"))
        and b"\x00" not in raw[:1024]
    )


def _check_structure(message: Message, limits: MailLimits) -> None:
    parts, depth = _measure(message)
    if parts > limits.max_parts or depth > limits.max_depth:
        raise MailRejected(
            f"The mail has {parts} parts nested {depth} deep (limits {limits.max_parts} parts, "
            f"{limits.max_depth} deep); it was not opened."
        )


def _measure(message: Message) -> tuple[int, int]:
    """Count parts and nesting depth without recursion (a hostile mail could nest deeply)."""
    parts, depth = 0, 0
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, level = stack.pop()
        parts += 1
        depth = max(depth, level)
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend((child, level + 1) for child in payload if isinstance(child, Message))
    return parts, depth


def _build(message: Message, defects: list[str]) -> ParsedMail:
    outer = message
    forwarded_by = None
    inner = _forwarded_inner(message)
    if inner is not None:
        forwarded_by = _from(outer, defects)[1]
        message = inner
    from_name, from_address = _from(message, defects)
    text, html, attachments = _bodies(message, defects)
    defects.extend(_structure_defects(outer))
    return ParsedMail(
        message_id=normalise_msgid(message.get("Message-ID")),
        subject=_header(message, "Subject", defects),
        from_name=from_name,
        from_address=from_address,
        to_addresses=tuple(a.lower() for _, a in getaddresses(_all(outer, "To")) if a),
        date=_date(message.get("Date"), defects),
        in_reply_to=normalise_msgid(outer.get("In-Reply-To")),
        references=tuple(split_msgids(outer.get("References"))),
        headers=_headers(outer, defects),
        text=text,
        html=html,
        content_type=outer.get_content_type(),
        attachments=tuple(attachments),
        defects=tuple(dict.fromkeys(defects)),
        forwarded_by=forwarded_by,
        return_path=_return_path(outer),
    )


def _all(message: Message, name: str) -> list[str]:
    return [decode_header_value(v, []) for v in raw_headers(message, name)]


def _header(message: Message, name: str, defects: list[str]) -> str:
    value = raw_header(message, name)
    return "" if value is None else decode_header_value(value, defects)


def _headers(message: Message, defects: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        result.setdefault(name.lower(), []).append(decode_header_value(str(value), defects))
    return result


def _from(message: Message, defects: list[str]) -> tuple[str, str]:
    raw_from = raw_header(message, "From")
    if raw_from is None:
        return "", ""
    decoded = decode_header_value(raw_from, defects)
    pairs = getaddresses([decoded])
    if not pairs:
        return "", ""
    name, address = pairs[0]
    return name.strip().strip('"'), address.strip().lower()


def _date(value: object, defects: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        defects.append("the Date header could not be read")
        return None
    if parsed.tzinfo is None:
        defects.append("the Date header has no time zone")
        return None
    return parsed


def _return_path(message: Message) -> str | None:
    value = message.get("Return-Path")
    if value is None:
        return None
    return str(value).strip().strip("<>").strip()


def _forwarded_inner(message: Message) -> Message | None:
    """A staff forward of a customer's mail: exactly one attached message/rfc822."""
    if not message.is_multipart():
        return None
    subject = decode_header_value(raw_header(message, "Subject") or "", [])
    inner = [p for p in message.walk() if p.get_content_type() == "message/rfc822"]
    if len(inner) != 1 or not _FORWARD_SUBJECT.match(subject):
        return None
    payload = inner[0].get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _bodies(message: Message, defects: list[str]) -> tuple[str, str | None, list[MailAttachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []
    for part in _leaves(message):
        kind = part.get_content_type()
        if kind.startswith("multipart/"):
            # A multipart without a usable boundary: its raw body is the best text we have.
            kind = "text/plain"
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        named = part.get_filename() is not None or part.get_param("name") is not None
        if kind in ("text/plain", "text/html") and disposition != "attachment" and not named:
            body = _text_of(part, defects)
            (plain if kind == "text/plain" else html).append(body)
        else:
            attachments.append(_attachment(part, len(attachments) + 1, defects))
    html_text = "\n".join(html) if html else None
    text = "\n".join(plain) if plain else (html_to_text(html_text) if html_text else "")
    return text.strip("\ufeff"), html_text, attachments


def _leaves(message: Message) -> list[Message]:
    """Non-multipart parts in order; an attached message is kept whole, not descended."""
    result: list[Message] = []
    stack = [message]
    while stack:
        part = stack.pop()
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
        else:
            result.append(part)
    return result


def _text_of(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "replace")
    text, defect = decode_text(payload, part.get_content_charset())
    if defect:
        defects.append(defect)
    return text.replace("\r\n", "\n")


def _attachment(part: Message, index: int, defects: list[str]) -> MailAttachment:
    kind = part.get_content_type()
    raw_name = part.get_filename() or part.get_param("name")
    name = _decode_filename(raw_name, defects) if raw_name else None
    if kind == "message/rfc822":
        payload = part.as_bytes() if not part.is_multipart() else _inner_bytes(part)
        fallback = f"message-{index}.eml"
    else:
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        fallback = f"{kind.split('/')[0] or 'file'}-{index}.{kind.split('/')[-1][:8] or 'bin'}"
    filename = safe_filename(name, fallback=fallback)
    if kind == "application/ms-tnef" or filename.lower() == "winmail.dat":
        defects.append("winmail.dat (Outlook TNEF) attachment could not be opened; kept as a file")
    return MailAttachment(filename=filename, content_type=kind, payload=payload)


def _inner_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return bytes(payload[0].as_bytes())
    return b""


def _structure_defects(message: Message) -> list[str]:
    found = []
    for part in [*_leaves(message), message]:
        for defect in getattr(part, "defects", []):
            found.append(_DEFECT_TEXT.get(type(defect).__name__, type(defect).__name__))
    return found


_DEFECT_TEXT = {
    "NoBoundaryInMultipartDefect": "multipart mail without a boundary; the body was read as text",
    "StartBoundaryNotFoundDefect": "the mail's part boundary was never found",
    "CloseBoundaryNotFoundDefect": "the mail's last part was not closed",
    "MultipartInvariantViolationDefect": "the mail claims to have parts but has none",
    "MissingHeaderBodySeparatorDefect": "a header line was broken",
    "InvalidBase64PaddingDefect": "an attachment's encoding was damaged",
    "InvalidBase64CharactersDefect": "an attachment's encoding was damaged",
}


def _decode_filename(raw_name: object, defects: list[str]) -> str:
    """RFC 2231 names arrive as (charset, language, text) tuples; RFC 2047 ones as words."""
    if isinstance(raw_name, tuple):
        charset, _, value = raw_name
        text, defect = decode_text(str(value).encode("latin-1", "replace"), charset or "utf-8")
        if defect:
            defects.append(defect)
        return text
    return decode_header_value(str(raw_name), defects)
