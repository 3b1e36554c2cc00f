"""Bounces: which of our mails failed to arrive, and whether for good.

RFC 3464 delivery reports are read from their ``message/delivery-status`` part; the
plain-text bounces many Chinese providers send ("系统退信") are recognised by sender
and subject, with the original Message-ID found in the quoted headers.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import re
from email.message import Message
from email.policy import compat32

from pipeline.intake.headers import normalise_msgid
from pipeline.intake.message import BounceInfo

_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|returned mail|delivery status notification|delivery failure|"
    r"mail delivery failed|failure notice|退信|无法投递|投递失败)",
    re.IGNORECASE,
)
_MSGID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


def _message(raw: bytes) -> Message | None:
    try:
        return email.message_from_bytes(raw, policy=compat32)
    except Exception:  # noqa: BLE001 - garbage is simply not a bounce
        return None


def parse_bounce(raw: bytes) -> BounceInfo | None:
    """A BounceInfo for a delivery failure report, else None (read receipts included)."""
    message = _message(raw)
    if message is None:
        return None
    if message.get_content_type() == "multipart/report":
        if _report_type(message) != "delivery-status":
            return None
        return _from_dsn(message)
    if _looks_like_plain_bounce(message):
        return _from_text(message)
    return None


def is_read_receipt(raw: bytes) -> bool:
    message = _message(raw)
    if message is None or message.get_content_type() != "multipart/report":
        return False
    return _report_type(message) == "disposition-notification"


def _report_type(message: Message) -> str:
    value = message.get_param("report-type")
    return value.lower() if isinstance(value, str) else ""


def _from_dsn(message: Message) -> BounceInfo:
    recipients, actions, statuses, diagnostics = [], [], [], []
    original = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in _status_blocks(part):
                recipients += _values(block, "final-recipient")
                actions += _values(block, "action")
                statuses += _values(block, "status")
                diagnostics += _values(block, "diagnostic-code")
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    permanent = any(s.strip().startswith("5") for s in statuses) or (
        not statuses and any(a.lower() == "failed" for a in actions)
    )
    return BounceInfo(
        original_message_id=original,
        failed_recipients=tuple(r.split(";")[-1].strip() for r in recipients),
        permanent=permanent,
        diagnostic="; ".join(diagnostics)[:1000] or "; ".join(statuses),
    )


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(b.strip() + "\n") for b in re.split(r"\n\s*\n", text) if b]


def _values(block: Message, name: str) -> list[str]:
    return [str(v).strip() for v in block.get_all(name, [])]


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return normalise_msgid(payload[0].get("Message-ID"))
    text = payload if isinstance(payload, str) else ""
    found = _MSGID_LINE.search(text)
    return found.group(1) if found else None


def _looks_like_plain_bounce(message: Message) -> bool:
    address = email.utils.parseaddr(str(message.get("From", "")))[1]
    if not _BOUNCE_SENDER.match(address):
        return False
    try:
        raw_subject = str(message.get("Subject", ""))
        subject = str(email.header.make_header(email.header.decode_header(raw_subject)))
    except Exception:  # noqa: BLE001 - an undecodable subject: judge by the raw text
        subject = str(message.get("Subject", ""))
    return bool(_BOUNCE_SENDER.match(address)) and bool(_BOUNCE_SUBJECT.search(subject))


def _from_text(message: Message) -> BounceInfo:
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "message/rfc822":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode("utf-8", "replace"))
            elif isinstance(part.get_payload(), list):
                texts.extend(str(p) for p in part.get_payload())
    body = "\n".join(texts)
    found = _MSGID_LINE.search(body)
    status = _STATUS.search(body)
    return BounceInfo(
        original_message_id=found.group(1) if found else None,
        failed_recipients=(),
        permanent=status is None or status.group(1) == "5",
        diagnostic=(status.group(0) if status else "delivery failed"),
    )
