"""Mail to our own staff about a case: department notices, reminders, escalations.

Queued in the outbox like customer letters (same sender, retries and sweep), but not
threaded into the customer's conversation and not recorded as correspondence with
the customer: the audit trail records that it was sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.mailboxes import mailbox_by_key
from config.settings import Settings
from letters.compose import build_message, make_message_id
from pipeline.db.models import Case, OutboundMail


def case_link(settings: Settings, case: Case) -> str:
    """The console address of a case, for staff mail."""
    return f"{settings.public_url.rstrip('/')}/cases/{case.reference}"


def queue_staff_mail(
    session: Session,
    *,
    settings: Settings,
    case: Case,
    kind: str,
    to_address: str,
    subject: str,
    text: str,
    dedupe_key: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> OutboundMail:
    """Queue one staff mail about a case; a retry finds the one already queued."""
    existing = session.scalar(select(OutboundMail).where(
        OutboundMail.case_id == case.id, OutboundMail.kind == kind,
        OutboundMail.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    # From the case's mailbox, like the customer's letters: staff see which one it is.
    mailbox = mailbox_by_key(settings, case.mailbox)
    message_id = make_message_id(mailbox.domain)
    raw = build_message(
        from_name=mailbox.from_name, from_address=mailbox.from_address, to_name="",
        to_address=to_address, subject=subject, text=text, html=None, message_id=message_id,
        auto_reply=False, loop_header=settings.loop_header, attachments=attachments,
    )
    outbound = OutboundMail(case_id=case.id, kind=kind, dedupe_key=dedupe_key,
                            message_id=message_id, to_address=to_address,
                            subject=subject[:500], raw=raw, auto_reply=False)
    session.add(outbound)
    session.flush()
    return outbound
