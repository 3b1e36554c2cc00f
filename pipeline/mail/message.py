"""Plain values handed between the intake steps (parse -> classify -> extract).

They carry no session and no I/O, so every step can be tested with values alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class MailLimits:
    """Structure limits checked before a mail is parsed; beyond them it is quarantined."""

    max_bytes: int = 40 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 10
    max_header_line_bytes: int = 64 * 1024


@dataclass(frozen=True)
class MailAttachment:
    """A file carried by a mail. ``filename`` is a clean display name, never a path."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class ParsedMail:
    """What we understood of one raw mail.

    ``headers`` maps lower-cased header names to all their decoded values, so the
    automatic-mail checks can look at anything. ``text`` is always plain text (derived
    from HTML when the mail had no text part). ``defects`` lists what was wrong with
    the mail but could be worked around (mojibake replaced, missing boundary, ...).
    When the mail is a staff forward of a customer's mail (``message/rfc822``), the
    sender/subject/text are the inner message's and ``forwarded_by`` is the forwarder.
    """

    message_id: str | None
    subject: str
    from_name: str
    from_address: str
    to_addresses: tuple[str, ...]
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    headers: dict[str, list[str]]
    text: str
    html: str | None
    content_type: str
    attachments: tuple[MailAttachment, ...] = ()
    defects: tuple[str, ...] = ()
    forwarded_by: str | None = None
    return_path: str | None = None


@dataclass(frozen=True)
class BounceInfo:
    """A delivery-status report about a mail we sent."""

    original_message_id: str | None
    failed_recipients: tuple[str, ...]
    permanent: bool
    diagnostic: str


@dataclass(frozen=True)
class ExtractedFields:
    """Record-form fields read from a complaint's text; staff confirm them in review."""

    customer_name: str
    customer_email: str
    phones: tuple[str, ...]  # E.164, most likely first
    order_numbers: tuple[str, ...]
    language: str  # "zh" or "en"
    what_happened: str
    demands: tuple[
        str, ...
    ]  # refund, return, replacement, repair, compensation, apology, explanation
    summary: str  # one or two sentences restating the complaint, for the acknowledgment
    phone: str = ""  # the case's phone: E.164, or as written when its country is unclear
    phone_written: str = ""  # that number as the customer wrote it
    phones_unsure: tuple[str, ...] = ()  # numbers kept as written: country unclear
    phone_candidates: tuple[str, ...] = ()  # every E.164 reading, for staff to choose from


@dataclass(frozen=True)
class Classification:
    """What a mail is, decided before anything is created from it."""

    kind: str  # complaint | reply | automatic | bounce
    reason: str = ""  # why (e.g. the header that marked it automatic)
    bounce: BounceInfo | None = None
    case_references: tuple[str, ...] = field(default_factory=tuple)


class MailRejected(Exception):
    """A permanent problem with a mail: keep it, quarantine it, never retry.

    ``reason`` is shown to staff, so it is written for people, not programmers.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
