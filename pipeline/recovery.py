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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline import jobs
from pipeline.cases.events import record_event
from pipeline.db.base import utcnow
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
        .where(jobs.INBOUND.open(stale))
        .where(or_(InboundMail.claimed_at.is_not(None), InboundMail.received_at < now - GRACE))
        .order_by(InboundMail.id)
        .limit(1000)
    )
    outbound = session.scalars(
        select(OutboundMail.id)
        .where(jobs.OUTBOX.open(stale))
        .where(or_(OutboundMail.claimed_at.is_not(None), OutboundMail.created_at < now - GRACE))
        .order_by(OutboundMail.id)
        .limit(1000)
    )
    return Unfinished(inbound_ids=list(inbound), outbound_ids=list(outbound))


def _give_up_on_inbound(session: Session, *, settings: Settings, stale: datetime) -> None:
    given_up = jobs.give_up_idle(
        session, jobs.INBOUND, stale=stale, max_attempts=settings.max_attempts
    )
    for inbound in given_up:
        inbound.quarantine_reason = (
            f"Processing failed {inbound.attempts} times; "
            f"last error: {inbound.last_error or 'the worker stopped while reading it'}"
        )


def _give_up_on_outbound(session: Session, *, settings: Settings, stale: datetime) -> None:
    given_up = jobs.give_up_idle(
        session, jobs.OUTBOX, stale=stale, max_attempts=settings.max_attempts
    )
    for mail in given_up:
        case = session.get(Case, mail.case_id)
        if case is not None:
            case.attention = (
                f"The {mail.kind} mail could not be sent after {mail.attempts} attempts."
            )
            record_event(session, case=case, action=f"{mail.kind}_failed", by="system")


def mark_dead(
    factory: sessionmaker[Session], *, actor: str, args: list[Any], settings: Settings
) -> None:
    """Record that the queue gave up on a job, on the row the job was about.

    A row that a live worker holds right now (say, the sweep nudged it again) is left to
    that worker; failing it under the worker would record a mail it is sending as failed.
    """
    if not args:
        return
    with factory() as session, session.begin():
        if actor in ("process_inbound", "send_outbound"):
            kind = jobs.INBOUND if actor == "process_inbound" else jobs.OUTBOX
            stale = utcnow() - timedelta(seconds=settings.claim_seconds)
            for row in jobs.give_up_idle(session, kind, stale=stale, ids=[args[0]]):
                _dead_note(session, row)
        elif actor == "ocr_letter":
            _scan_dead(session, args[0], settings)


def _dead_note(session: Session, row: InboundMail | OutboundMail) -> None:
    if isinstance(row, InboundMail):
        row.quarantine_reason = (
            f"Processing kept failing and was stopped; last error: {row.last_error or 'unknown'}"
        )
        return
    case = session.get(Case, row.case_id)
    if case is not None:
        case.attention = f"The {row.kind} mail could not be sent: {row.last_error}"
        record_event(session, case=case, action=f"{row.kind}_failed", by="system")


def _scan_dead(session: Session, scan_id: int, settings: Settings) -> None:
    stale = utcnow() - timedelta(seconds=settings.ocr_claim_seconds)
    for scan in jobs.give_up_idle(session, jobs.SCAN, stale=stale, ids=[scan_id]):
        scan.quarantine_reason = (
            f"Reading the letter kept failing and was stopped; last error: "
            f"{scan.last_error or 'unknown'} / 信件识别多次失败，已停止。"
        )
