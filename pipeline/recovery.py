"""The sweep: the database says what is unfinished, and the sweep sends it again.

Queue messages are only nudges. A message lost because Redis was down, a process
killed between commit and enqueue, or a worker killed mid-job all leave a row that
is still ``received`` / ``pending`` / ``sending``; the sweep finds such rows once
their claim has expired and nudges them again. Work that has used up its attempts
is marked failed and put in front of staff instead of looping forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.db.models import Case, InboundMail, OutboundMail

# Work younger than this is left to the message that was sent with it.
GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class Unfinished:
    inbound_ids: list[int]
    outbound_ids: list[int]


def find_unfinished(session: Session, *, settings: Settings, now: datetime) -> Unfinished:
    """List work to nudge again, after giving up on what has failed too often."""
    stale = now - timedelta(seconds=settings.claim_seconds)
    _give_up_on_inbound(session, settings=settings, stale=stale)
    _give_up_on_outbound(session, settings=settings, stale=stale)
    inbound = session.scalars(
        select(InboundMail.id)
        .where(InboundMail.status == "received")
        .where(
            or_(
                and_(InboundMail.claimed_at.is_(None), InboundMail.received_at < now - GRACE),
                InboundMail.claimed_at < stale,
            )
        )
        .order_by(InboundMail.id)
        .limit(1000)
    )
    outbound = session.scalars(
        select(OutboundMail.id)
        .where(
            or_(
                and_(OutboundMail.status == "pending", OutboundMail.created_at < now - GRACE),
                and_(OutboundMail.status == "sending", OutboundMail.claimed_at < stale),
            )
        )
        .order_by(OutboundMail.id)
        .limit(1000)
    )
    return Unfinished(inbound_ids=list(inbound), outbound_ids=list(outbound))


def _give_up_on_inbound(session: Session, *, settings: Settings, stale: datetime) -> None:
    rows = session.scalars(
        select(InboundMail).where(
            InboundMail.status == "received",
            InboundMail.attempts >= settings.max_attempts,
            or_(InboundMail.claimed_at.is_(None), InboundMail.claimed_at < stale),
        )
    )
    for inbound in rows:
        inbound.status = "failed"
        inbound.quarantine_reason = (
            f"Processing failed {inbound.attempts} times; "
            f"last error: {inbound.last_error or 'the worker stopped while reading it'}"
        )


def _give_up_on_outbound(session: Session, *, settings: Settings, stale: datetime) -> None:
    rows = session.scalars(
        select(OutboundMail).where(
            OutboundMail.attempts >= settings.max_attempts,
            or_(
                OutboundMail.status == "pending",
                and_(OutboundMail.status == "sending", OutboundMail.claimed_at < stale),
            ),
        )
    )
    for mail in rows:
        mail.status = "failed"
        case = session.get(Case, mail.case_id)
        if case is not None:
            case.attention = (
                f"The {mail.kind} mail could not be sent after {mail.attempts} attempts."
            )
            record_event(session, case=case, action=f"{mail.kind}_failed", by="system")


def mark_dead(factory: sessionmaker[Session], *, actor: str, args: list[Any]) -> None:
    """Record that the queue gave up on a job, on the row the job was about."""
    if not args:
        return
    with factory() as session, session.begin():
        if actor == "process_inbound":
            inbound = session.get(InboundMail, args[0])
            if inbound is not None and inbound.status == "received":
                inbound.status = "failed"
                inbound.quarantine_reason = (
                    "Processing kept failing and was stopped; "
                    f"last error: {inbound.last_error or 'unknown'}"
                )
        elif actor == "ocr_letter":
            _scan_dead(session, args[0])
        elif actor == "send_outbound":
            mail = session.get(OutboundMail, args[0])
            if mail is not None and mail.status in ("pending", "sending"):
                mail.status = "failed"
                case = session.get(Case, mail.case_id)
                if case is not None:
                    case.attention = f"The {mail.kind} mail could not be sent: {mail.last_error}"
                    record_event(session, case=case, action=f"{mail.kind}_failed", by="system")


def _scan_dead(session: Session, scan_id: int) -> None:
    from pipeline.db.models import LetterScan

    scan = session.get(LetterScan, scan_id)
    if scan is not None and scan.status == "received":
        scan.status = "failed"
        scan.quarantine_reason = (
            f"Reading the letter kept failing and was stopped; last error: "
            f"{scan.last_error or 'unknown'} / 信件识别多次失败，已停止。"
        )
