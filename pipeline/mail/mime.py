"""Raw mail bytes -> ParsedMail, robust against broken and hostile input.

Structure limits are checked on the raw bytes *before* parsing
(:mod:`pipeline.mail.limits`), so a mail bomb is refused without being built.
The MIME tree is the standard library's compat32 tree, which keeps every header and
body raw; we decode text parts and headers ourselves (:mod:`pipeline.mail.charsets`),
because mail-parser trusts charset labels and silently returns mojibake for GBK text
labelled gb2312. mail-parser reads the sender's address
(:mod:`pipeline.mail.addresses`): that is where its care matters, and its full
parse (Received chains, defect reports, attachment copies) would triple the cost of
every mail for results we do not use.

Anything a broken mail makes go wrong ends as :class:`MailRejected` (quarantine,
never retried) or as a defect on the ParsedMail, never as another exception.
"""

from __future__ import annotations

import email
import logging
import re
from datetime import UTC, datetime
from email.message import Message
from email.policy import compat32
from email.utils import parsedate_to_datetime

from pipeline.mail.addresses import recipients, sender
from pipeline.mail.filenames import safe_filename
from pipeline.mail.headers import (
    clean_line,
    decode_8bit,
    decode_header_value,
    normalise_msgid,
    raw_header,
    raw_headers,
    split_msgids,
)
from pipeline.mail.limits import check_limits, check_tree
from pipeline.mail.message import MailLimits, MailRejected, ParsedMail
from pipeline.mail.parts import content_type, failure_site, leaves, read_contents

__all__ = ["DEFAULT_LIMITS", "check_limits", "parse_mail", "read_mail", "safe_filename"]

log = logging.getLogger(__name__)

DEFAULT_LIMITS = MailLimits()
_MAX_DEFECTS = 20
_FORWARD_SUBJECT = re.compile(
    r"^\s*[\[(]?\s*(fwd?|fw|forward|转发|轉發|转寄|轉寄|wg|tr|rv|enc|doorst)\s*[:：]",
    re.IGNORECASE,
)
_SHORT_FORWARD_NOTE = 500  # characters: a forwarding note, not a mail of its own
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,100}[ \t]*:")
_MBOX_FROM = re.compile(rb"From [^\r\n]*\r?\n")
_MAIL_HEADERS = re.compile(
    rb"(?im)^(from|to|cc|subject|date|message-id|received|return-path|mime-version|"
    rb"content-type|sender|reply-to|delivered-to|in-reply-to|references)[ \t]*:"
)


def parse_mail(raw: bytes, limits: MailLimits = DEFAULT_LIMITS) -> ParsedMail:
    """Parse a mail within limits; MailRejected when it cannot be read at all."""
    return read_mail(raw, limits)[0]


def read_mail(raw: bytes, limits: MailLimits = DEFAULT_LIMITS) -> tuple[ParsedMail, Message]:
    """``parse_mail``, with the parsed MIME tree (to be read, never changed).

    Intake asks the tree whether the mail is a bounce or a read receipt; without it,
    each question would parse the mail's headers again.
    """
    check_limits(raw, limits)
    _require_headers(raw)
    try:
        message = email.message_from_bytes(raw, policy=compat32)
    except RecursionError as err:
        raise MailRejected("The mail is nested too deeply to be read.") from err
    check_tree(message, limits)
    try:
        return _build(message), message
    except MailRejected:
        raise
    except Exception as err:  # a mail must never crash the intake
        log.warning("unexpected error while reading a mail: %s", failure_site(err))
        raise MailRejected(
            f"The mail could not be read ({type(err).__name__}); it is kept unchanged."
        ) from err


def _require_headers(raw: bytes) -> None:
    """Refuse bytes that do not start with a mail header block at all."""
    if not raw.strip():
        raise MailRejected("The mail is empty.")
    start = raw.lstrip(b"\r\n")
    mbox = _MBOX_FROM.match(start)
    if mbox:
        start = start[mbox.end() :]
    head = start[: 256 * 1024]
    if not _HEADER_LINE.match(head) or not _MAIL_HEADERS.search(head):
        raise MailRejected(
            "This is not an email: it does not start with mail headers "
            "(From, To, Subject, Date, …)."
        )


def _build(message: Message) -> ParsedMail:
    defects: list[str] = []
    inner, forwarded_part = _forwarded(message)
    source = inner if inner is not None else message
    contents = read_contents(source, defects)
    if inner is not None:
        outer = read_contents(message, defects, skip=forwarded_part)
        contents.attachments[:0] = outer.attachments
    from_name, from_address = sender(raw_header(source, "From"), defects)
    defects.extend(_structure_defects(message))
    if inner is not None:
        defects.extend(_structure_defects(inner))
    return ParsedMail(
        message_id=normalise_msgid(raw_header(source, "Message-ID"))
        or normalise_msgid(raw_header(message, "Message-ID")),
        subject=_header(source, "Subject", defects),
        from_name=from_name,
        from_address=from_address,
        to_addresses=recipients(raw_headers(message, "To")),
        date=_date(raw_header(source, "Date") or raw_header(message, "Date"), defects),
        in_reply_to=normalise_msgid(raw_header(message, "In-Reply-To")),
        references=tuple(split_msgids(" ".join(raw_headers(message, "References")))),
        headers=_headers(message, defects),
        text=contents.text,
        html=contents.html,
        content_type=content_type(message, fallback="text/plain"),
        attachments=tuple(contents.attachments),
        defects=_summarise(defects),
        forwarded_by=sender(raw_header(message, "From"), [])[1] if inner is not None else None,
        return_path=_return_path(message),
    )


def _header(message: Message, name: str, defects: list[str]) -> str:
    value = raw_header(message, name)
    return "" if value is None else decode_header_value(value, defects)


def _headers(message: Message, defects: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = clean_line(decode_8bit(name, [])).lower()
        result.setdefault(key, []).append(decode_header_value(str(value), defects))
    return result


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if value is None:
        return None
    text = clean_line(decode_8bit(value, []))
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("the Date header could not be read")
        return None
    if parsed.tzinfo is not None:
        return parsed
    if "-0000" in text:
        # RFC 5322 3.3: -0000 is UTC with the sender's local zone unknown.
        return parsed.replace(tzinfo=UTC)
    defects.append("the Date header has no time zone")
    return None


def _return_path(message: Message) -> str | None:
    """The envelope sender: "" for the null sender ``<>``, None when absent."""
    value = raw_header(message, "Return-Path")
    if value is None:
        return None
    text = clean_line(decode_8bit(value, []))
    bracketed = re.search(r"<([^<>]*)>", text)
    return (bracketed.group(1) if bracketed else text).strip()


def _forwarded(message: Message) -> tuple[Message | None, Message | None]:
    """(inner message, its part) when this is a staff forward of one customer mail.

    Exactly one attached ``message/rfc822`` with a sender, and either a forward
    subject (Fwd:, Fw:, 转发:, ...) or an outer note that is short and whose subject
    names the inner mail's subject. A customer who attaches an old mail to a long new
    complaint stays the sender.
    """
    attached = [p for p, _ in leaves(message) if content_type(p) in _ATTACHED_MESSAGE_TYPES]
    if len(attached) != 1 or attached[0] is message or not attached[0].is_multipart():
        return None, None
    payload = attached[0].get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message) or raw_header(inner, "From") is None:
        return None, None
    subject = _header(message, "Subject", [])
    if _FORWARD_SUBJECT.match(subject) or _is_bare_forward(message, inner, attached[0], subject):
        return inner, attached[0]
    return None, None


_ATTACHED_MESSAGE_TYPES = ("message/rfc822", "message/global")


def _is_bare_forward(message: Message, inner: Message, part: Message, subject: str) -> bool:
    inner_subject = _header(inner, "Subject", [])
    if not inner_subject or inner_subject.lower() not in subject.lower():
        return False
    note = read_contents(message, [], skip=part).text
    return len(note.strip()) <= _SHORT_FORWARD_NOTE


def _structure_defects(message: Message) -> list[str]:
    found = []
    for part, _ in [*leaves(message), (message, False)]:
        for defect in getattr(part, "defects", []):
            name = type(defect).__name__
            found.append(_DEFECT_TEXT.get(name, f"the mail's structure is damaged ({name})"))
    return found


def _summarise(defects: list[str]) -> tuple[str, ...]:
    """Each defect once; a flood from a hostile mail is cut short."""
    unique = list(dict.fromkeys(defects))
    if len(unique) <= _MAX_DEFECTS:
        return tuple(unique)
    more = len(unique) - _MAX_DEFECTS + 1
    return (*unique[: _MAX_DEFECTS - 1], f"… and {more} more problems")


_DEFECT_TEXT = {
    "NoBoundaryInMultipartDefect": "multipart mail without a boundary; the body was read as text",
    "StartBoundaryNotFoundDefect": "the mail's part boundary was never found",
    "CloseBoundaryNotFoundDefect": "the mail's last part was not closed",
    "FirstHeaderLineIsContinuationDefect": "the mail's first header line was broken",
    "MisplacedEnvelopeHeaderDefect": "a header line was broken",
    "MissingHeaderBodySeparatorDefect": "a header line was broken",
    "MultipartInvariantViolationDefect": "the mail claims to have parts but has none",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart part had an invalid encoding",
    "InvalidBase64PaddingDefect": "an attachment's encoding was damaged",
    "InvalidBase64CharactersDefect": "an attachment's encoding was damaged",
    "InvalidBase64LengthDefect": "an attachment's encoding was damaged",
    "UndecodableBytesDefect": "a header had bytes that could not be decoded",
}
