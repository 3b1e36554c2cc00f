"""The retention period: personal data of cases closed long ago is erased by itself.

The scheduler's timed work calls :func:`erase_expired` on each pass. A case is due
``retention_years`` after it closed; ``erased_at`` marks it done, so a pass, a second
scheduler or a redelivered message never erases twice, and a pass that stops half way
leaves the rest due for the next one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.models import Attachment, Case, InboundMail, LetterScan
from pipeline.privacy.erase import MARKER, compact, erase_holdings
from pipeline.privacy.holdings import Holdings, holdings_of_cases

BATCH = 200
ACTOR = "retention"


def retention_cutoff(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(days=365.25 * settings.retention_years)


def due_for_erasure(session: Session, *, settings: Settings, now: datetime,
                    limit: int = BATCH) -> list[int]:
    """Closed cases past the retention period whose data is still there, oldest first."""
    return list(session.scalars(
        select(Case.id).where(Case.closed_at.is_not(None),
                              Case.closed_at < retention_cutoff(settings, now),
                              Case.erased_at.is_(None))
        .order_by(Case.closed_at, Case.id).limit(limit)))


def orphans_due(session: Session, *, settings: Settings, now: datetime,
                limit: int = BATCH) -> Holdings:
    """Mail and scans that opened no case (automatic replies, quarantined mail) and are
    older than the retention period, with their files, while still unerased."""
    cutoff = retention_cutoff(settings, now)
    mails = list(session.scalars(select(InboundMail.id).where(
        InboundMail.case_id.is_(None), InboundMail.received_at < cutoff,
        func.length(InboundMail.raw) > 0).order_by(InboundMail.id).limit(limit)))
    scans = list(session.execute(select(LetterScan.id, LetterScan.files).where(
        LetterScan.case_id.is_(None), LetterScan.received_at < cutoff,
        LetterScan.source != MARKER, LetterScan.source != "").order_by(LetterScan.id)
        .limit(limit)))
    files = {f for _, listed in scans for f in (listed or [])}
    if mails:
        files.update(session.scalars(select(Attachment.id).where(
            Attachment.inbound_mail_id.in_(mails))))
    return Holdings(inbound_ids=mails, scan_ids=[i for i, _ in scans],
                    attachment_ids=sorted(files))


def erase_expired(factory: sessionmaker[Session], *, settings: Settings,
                  now: datetime) -> list[str]:
    """Erase every case due at ``now``, a batch per transaction; their references.

    Then the mail and scans that never became a case, past the same period.
    """
    references = _erase_expired_cases(factory, settings=settings, now=now)
    reason = f"retention period of {settings.retention_years:g} years"
    erased_any = bool(references)
    while True:
        with factory() as session:
            orphans = orphans_due(session, settings=settings, now=now)
        if orphans.empty:
            break
        erase_holdings(factory, settings=settings, holdings=orphans, reason=reason, by=ACTOR,
                       action="retention_erased", then_compact=False)
        erased_any = True
    if erased_any:  # once per pass, not per batch: a vacuum rewrites whole tables
        compact(factory.kw["bind"], full=settings.erase_vacuum_full)
    return references


def _erase_expired_cases(factory: sessionmaker[Session], *, settings: Settings,
                         now: datetime) -> list[str]:
    references: list[str] = []
    reason = f"retention period of {settings.retention_years:g} years after closing"
    while True:
        with factory() as session:
            due = due_for_erasure(session, settings=settings, now=now)
            holdings = holdings_of_cases(session, due)
        if not due:
            return references
        erased = erase_holdings(factory, settings=settings, holdings=holdings, reason=reason,
                                by=ACTOR, action="retention_erased", then_compact=False)
        references += erased.references
