"""The OCR job: claim a scan row, read its pages outside any transaction, then open the
case in one short transaction that re-checks the row, so a redelivered or swept job
is a no-op and a crash mid-OCR only costs the OCR again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, LetterScan
from pipeline.intake.attachments import attachment_path
from pipeline.recovery import GRACE
from pipeline.scans.cases import open_letter_case
from pipeline.scans.document import DocumentText, ScanFile, read_document
from pipeline.scans.fields import extract_letter_fields
from pipeline.scans.reasons import Unreadable, both

log = logging.getLogger(__name__)


@dataclass
class ScanOutcome:
    status: str
    case_id: int | None = None
    outbound_ids: list[int] = field(default_factory=list)


def claim_scan(factory: sessionmaker[Session], *, scan_id: int, settings: Settings) -> bool:
    """Count an attempt and hold the scan; False when done, held by another, or given up."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.ocr_claim_seconds)
    with factory() as session, session.begin():
        result = session.execute(
            update(LetterScan)
            .where(LetterScan.id == scan_id, LetterScan.status == "received")
            .where(or_(LetterScan.claimed_at.is_(None), LetterScan.claimed_at < stale))
            .where(LetterScan.attempts < settings.max_attempts)
            .values(claimed_at=now, attempts=LetterScan.attempts + 1)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def release_scan(factory: sessionmaker[Session], *, scan_id: int, error: str) -> None:
    with factory() as session, session.begin():
        session.execute(
            update(LetterScan)
            .where(LetterScan.id == scan_id, LetterScan.status == "received")
            .values(claimed_at=None, last_error=error[:2000])
        )


def process_scan(
    factory: sessionmaker[Session], *, scan_id: int, settings: Settings
) -> ScanOutcome:
    """OCR a claimed scan and open its case, or quarantine it with a reason."""
    files = _load_files(factory, scan_id, settings)
    try:
        document = read_document(
            files, max_pages=settings.ocr_max_pages, page_seconds=settings.ocr_page_seconds
        )
    except Unreadable as err:
        return _quarantine(factory, scan_id, err.reason)
    fields = extract_letter_fields(
        document.text,
        ocr_confidence=document.confidence,
        region=settings.phone_region,
        order_pattern=settings.order_number_pattern,
    )
    with factory() as session, session.begin():
        scan = session.scalar(select(LetterScan).where(LetterScan.id == scan_id).with_for_update())
        if scan is None or scan.status != "received":
            return ScanOutcome(status="already-done")
        case, outbound_ids = open_letter_case(
            session, scan=scan, document=document, fields=fields, settings=settings
        )
        _finish(scan, document, status="processed", case_id=case.id)
    log.info("letter read", extra={"scan_id": scan_id, "case_id": case.id})
    return ScanOutcome(status="processed", case_id=case.id, outbound_ids=outbound_ids)


def _finish(scan: LetterScan, document: DocumentText, *, status: str, case_id: int | None) -> None:
    scan.status = status
    scan.case_id = case_id
    scan.text = document.text
    scan.pages = len(document.pages)
    scan.ocr_pages = sum(1 for page in document.pages if page.seconds > 0)
    scan.ocr_seconds = sum(page.seconds for page in document.pages)
    scan.claimed_at = None
    scan.processed_at = utcnow()


def _load_files(factory: sessionmaker[Session], scan_id: int, settings: Settings) -> list[ScanFile]:
    with factory() as session:
        scan = session.get(LetterScan, scan_id)
        if scan is None:
            return []
        rows = {
            row.id: row
            for row in session.scalars(select(Attachment).where(Attachment.id.in_(scan.files)))
        }
        ordered = [rows[i] for i in scan.files if i in rows]
    root = Path(settings.storage_dir)
    return [
        ScanFile(
            name=row.display_name,
            content_type=row.content_type,
            payload=attachment_path(root, row.storage_name).read_bytes(),
        )
        for row in ordered
    ]


def _quarantine(factory: sessionmaker[Session], scan_id: int, reason: str) -> ScanOutcome:
    """Keep the files, and tell staff in plain words why the letter could not be read."""
    with factory() as session, session.begin():
        scan = session.get(LetterScan, scan_id, with_for_update=True)
        if scan is None or scan.status != "received":
            return ScanOutcome(status="already-done")
        scan.status = "quarantined"
        scan.quarantine_reason = reason
        scan.claimed_at = None
        scan.processed_at = utcnow()
    log.warning("letter quarantined", extra={"scan_id": scan_id})
    return ScanOutcome(status="quarantined")


def give_up_reason(attempts: int, error: str) -> str:
    return both(
        f"Reading the letter failed {attempts} times; last error: {error or 'worker stopped'}",
        f"信件识别失败 {attempts} 次，已停止重试。",
    )


def unfinished_scans(session: Session, *, settings: Settings, now: datetime) -> list[int]:
    """Scans to nudge again; those out of attempts are marked failed for staff."""
    stale = now - timedelta(seconds=settings.ocr_claim_seconds)
    idle = or_(LetterScan.claimed_at.is_(None), LetterScan.claimed_at < stale)
    for scan in session.scalars(
        select(LetterScan).where(
            LetterScan.status == "received", LetterScan.attempts >= settings.max_attempts, idle
        )
    ):
        scan.status = "failed"
        scan.quarantine_reason = give_up_reason(scan.attempts, scan.last_error)
    return list(
        session.scalars(
            select(LetterScan.id)
            .where(LetterScan.status == "received")
            .where(
                or_(
                    and_(LetterScan.claimed_at.is_(None), LetterScan.received_at < now - GRACE),
                    LetterScan.claimed_at < stale,
                )
            )
            .order_by(LetterScan.id)
            .limit(200)
        )
    )
