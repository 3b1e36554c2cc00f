"""Scanned letters the sweep nudges again: a query the poller runs, apart from OCR.

Kept out of :mod:`pipeline.scans.jobs`, which imports the whole reading of a letter
(PDF, images, case opening): the poller's sweep needs only this query.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline import jobs
from pipeline.db.models import LetterScan
from pipeline.documents.reasons import both
from pipeline.recovery import GRACE


def give_up_reason(attempts: int, error: str) -> str:
    return both(
        f"Reading the letter failed {attempts} times; last error: {error or 'worker stopped'}",
        f"信件识别失败 {attempts} 次，已停止重试。",
    )


def unfinished_scans(session: Session, *, settings: Settings, now: datetime) -> list[int]:
    """Scans to nudge again; those out of attempts are marked failed for staff."""
    stale = now - timedelta(seconds=settings.ocr_claim_seconds)
    given_up = jobs.give_up_idle(
        session, jobs.SCAN, stale=stale, max_attempts=settings.max_attempts
    )
    for scan in given_up:
        scan.quarantine_reason = give_up_reason(scan.attempts, scan.last_error)
    return list(
        session.scalars(
            select(LetterScan.id)
            .where(jobs.SCAN.open(stale))
            .where(or_(LetterScan.claimed_at.is_not(None), LetterScan.received_at < now - GRACE))
            .order_by(LetterScan.id)
            .limit(200)
        )
    )
