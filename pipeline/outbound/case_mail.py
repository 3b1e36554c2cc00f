"""Letters to the customer about their case, queued in the outbox with the case change.

Every letter after the acknowledgment (deadline, moved deadline, written resolution,
survey) goes through here, so each one is threaded under the customer's original
mail and our earlier letters (their mail client shows one conversation), is stored
as correspondence on the case, and is queued in the caller's transaction: the letter
exists if and only if the change it announces was committed. ``dedupe_key`` makes a
retried job find the letter already queued instead of queuing it twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.mailboxes import mailbox_by_key
from config.settings import Settings
from letters.acknowledgment import RenderedMail
from letters.compose import build_message, is_sendable_address, make_message_id
from pipeline.db.base import utcnow
from pipeline.db.ids import give_id
from pipeline.db.models import Case, Correspondence, OutboundMail
from pipeline.db.pending_rows import add_row

THREAD_DEPTH = 10
"""Earlier Message-IDs carried in References; clients need only the last few."""


def can_email(case: Case) -> bool:
    """Whether the customer can be written to by email (else the letter goes by post)."""
    return (
        bool(case.customer_email)
        and not case.email_undeliverable
        and is_sendable_address(case.customer_email)
    )


def _thread(session: Session, case: Case) -> tuple[str | None, tuple[str, ...]]:
    ours = session.scalars(
        select(OutboundMail.message_id)
        .where(OutboundMail.case_id == case.id)
        .order_by(OutboundMail.id.desc())
        .limit(THREAD_DEPTH)
    ).all()
    references = tuple(r for r in (case.source_message_id, *reversed(ours)) if r)
    return case.source_message_id, references


def queue_case_mail(
    session: Session,
    *,
    settings: Settings,
    case: Case,
    kind: str,
    rendered: RenderedMail,
    dedupe_key: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> OutboundMail:
    """Queue a letter to the case's customer; returns the existing one on a retry."""
    existing = session.scalar(
        select(OutboundMail).where(
            OutboundMail.case_id == case.id,
            OutboundMail.kind == kind,
            OutboundMail.dedupe_key == dedupe_key,
        )
    )
    if existing is not None:
        return existing
    in_reply_to, references = _thread(session, case)
    return store_case_mail(session, settings=settings, case=case, kind=kind, rendered=rendered,
                           dedupe_key=dedupe_key, in_reply_to=in_reply_to,
                           references=references, auto_reply=False, attachments=attachments)


def store_case_mail(
    session: Session,
    *,
    settings: Settings,
    case: Case,
    kind: str,
    rendered: RenderedMail,
    in_reply_to: str | None,
    references: tuple[str, ...],
    auto_reply: bool,
    dedupe_key: str = "",
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> OutboundMail:
    """Build the mail, put it in the outbox and on the case's correspondence.

    ``auto_reply`` marks machine answers (the acknowledgment): they carry
    Auto-Submitted and count against the per-address limit that stops mail loops.
    It comes from the case's mailbox (address, display name, Message-ID domain): the
    customer hears back from the address they wrote to.
    """
    mailbox = mailbox_by_key(settings, case.mailbox)
    message_id = make_message_id(mailbox.domain)
    raw = build_message(
        from_name=mailbox.from_name,
        from_address=mailbox.from_address,
        to_name=case.customer_name,
        to_address=case.customer_email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        auto_reply=auto_reply,
        loop_header=settings.loop_header,
        attachments=attachments,
    )
    outbound = OutboundMail(
        case_id=case.id,
        kind=kind,
        dedupe_key=dedupe_key,
        message_id=message_id,
        to_address=case.customer_email,
        subject=rendered.subject,
        raw=raw,
        auto_reply=auto_reply,
    )
    give_id(session, outbound)
    add_row(  # written after the flush that writes the mail (pipeline.db.pending_rows)
        session, Correspondence,
        case_id=case.id,
        direction="out",
        kind=kind,
        inbound_mail_id=None,
        outbound_mail_id=outbound.id,
        subject=rendered.subject,
        body_text=rendered.text,
        # Every column set, as on the customer's mail: rows with the same columns are
        # written in one INSERT per batch.
        at=utcnow(),
        verified=True,
        from_address="",
    )
    return outbound
