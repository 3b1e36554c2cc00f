"""Building outgoing mail safely.

Every header is built with ``EmailMessage`` and ``Address`` (which encode non-ASCII
text per RFC 2047), and control characters are stripped from every value first:
a customer's display name or subject with CR/LF in it must never add a header.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header(value: str) -> str:
    """One line, no control characters: the value can only ever be one header."""
    return _CONTROL.sub(" ", value).strip()


def make_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{clean_header(domain) or 'localhost'}>"


def _address(name: str, address: str) -> Address:
    local, _, domain = clean_header(address).rpartition("@")
    return Address(display_name=clean_header(name), username=local, domain=domain)


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
    """Return the bytes of a complete mail, ready for SMTP."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(from_name, from_address)
    msg["To"] = _address(to_name, to_address)
    msg["Subject"] = clean_header(subject)
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = clean_header(message_id)
    chain = [clean_header(r) for r in (*references, in_reply_to or "") if r]
    if in_reply_to:
        msg["In-Reply-To"] = clean_header(in_reply_to)
    if chain:
        msg["References"] = " ".join(dict.fromkeys(chain))
    if auto_reply:
        # RFC 3834: tells well-behaved auto-responders not to answer us, so no loop starts.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg[clean_header(loop_header)] = clean_header(loop_value)
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for filename, content_type, payload in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(
            payload,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=clean_header(filename),
        )
    return msg.as_bytes()
