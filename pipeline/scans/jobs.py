"""The OCR job: claim a scan row, read its pages outside any transaction, then open the
case in one short transaction that re-checks the row, so a redelivered or swept job
is a no-op and a crash mid-OCR only costs the OCR again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline import jobs
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, LetterScan
from pipeline.documents.reasons import Unreadable
from pipeline.jobs import Claim
from pipeline.mail.attachments import attachment_path
from pipeline.scans.cases import open_letter_case
from pipeline.scans.document import DocumentText, ScanFile, read_document
from pipeline.scans.fallback import open_mail_case
from pipeline.scans.fields import extract_letter_fields
from pipeline.scans.pages import store_pages

log = logging.getLogger(__name__)


@dataclass
class ScanOutcome:
    status: str
    case_id: int | None = None
    outbound_ids: list[int] = field(default_factory=list)


def claim_scan(
    factory: sessionmaker[Session], *, scan_id: int, settings: Settings
) -> Claim | None:
    """Count an attempt and hold the scan; None when done, held by another, or given up."""
    held = jobs.claim(
        factory,
        jobs.SCAN,
        [scan_id],
        seconds=settings.ocr_claim_seconds,
        max_attempts=settings.max_attempts,
    )
    return held or None


def release_scan(factory: sessionmaker[Session], *, held: Claim, error: str) -> None:
    jobs.release(factory, held, held.ids, error=error)


def process_scan(factory: sessionmaker[Session], *, held: Claim, settings: Settings) -> ScanOutcome:
    """OCR a claimed scan and open its case, or quarantine it with a reason.

    The OCR runs outside any transaction; the case is opened only if the scan is still
    ours (fenced), so a worker whose claim was taken over while it read changes nothing.
    A customer's own mail whose pictures hold no writing still becomes an e-mail case.
    """
    scan_id = held.ids[0]
    file_ids, files, from_address = _load_files(factory, scan_id, settings)
    try:
        document = read_document(
            files, max_pages=settings.ocr_max_pages, page_seconds=settings.ocr_page_seconds
        )
    except Unreadable as err:
        if from_address:  # a customer's own mail: it still becomes a case
            outcome = open_mail_case(factory, held=held, reason=err.reason, settings=settings)
            if outcome is not None:
                return ScanOutcome(
                    status=outcome.status, case_id=outcome.case_id,
                    outbound_ids=outcome.outbound_ids,
                )
        return _quarantine(factory, held, err.reason)
    fields = extract_letter_fields(
        document.text,
        ocr_confidence=document.confidence,
        region=settings.phone_region,
        order_pattern=settings.order_number_pattern,
        from_address=from_address,
    )
    with factory() as session, session.begin():
        scans = jobs.lock_held(session, held)
        if not scans:
            return ScanOutcome(status="already-done")
        opened = open_letter_case(
            session, scan=scans[0], document=document, fields=fields, settings=settings
        )
        case = opened.case
        store_pages(
            session,
            scan=scans[0],
            case_id=case.id,
            document=document,
            fields=fields,
            file_ids=file_ids,
        )
        _finish(scans[0], document, status="processed", case_id=case.id)
    log.info("letter read", extra={"scan_id": scan_id, "case_id": case.id})
    return ScanOutcome(status="processed", case_id=case.id, outbound_ids=opened.outbound_ids)


def _finish(scan: LetterScan, document: DocumentText, *, status: str, case_id: int | None) -> None:
    scan.status = status
    scan.case_id = case_id
    scan.text = document.text
    scan.pages = len(document.pages)
    scan.ocr_pages = sum(1 for page in document.pages if page.seconds > 0)
    scan.ocr_seconds = sum(page.seconds for page in document.pages)
    scan.claimed_at = None
    scan.claim_token = None
    scan.processed_at = utcnow()


def _load_files(
    factory: sessionmaker[Session], scan_id: int, settings: Settings
) -> tuple[list[int], list[ScanFile], str]:
    """The scan's stored files in page order with their attachment ids, and the
    customer's address when a customer mailed it."""
    with factory() as session:
        scan = session.get(LetterScan, scan_id)
        if scan is None:
            return [], [], ""
        from_address = scan.from_address if scan.inbound_mail_id is not None else ""
        rows = {
            row.id: row
            for row in session.scalars(select(Attachment).where(Attachment.id.in_(scan.files)))
        }
        ordered = [rows[i] for i in scan.files if i in rows]
    root = Path(settings.storage_dir)
    files = [
        ScanFile(
            name=row.display_name,
            content_type=row.content_type,
            payload=attachment_path(root, row.storage_name).read_bytes(),
        )
        for row in ordered
    ]
    return [row.id for row in ordered], files, from_address


def _quarantine(factory: sessionmaker[Session], held: Claim, reason: str) -> ScanOutcome:
    """Keep the files, and tell staff in plain words why the letter could not be read."""
    with factory() as session, session.begin():
        touched = jobs.finish(
            session, held, held.ids,
            status="quarantined", quarantine_reason=reason, processed_at=utcnow(),
        )
    if not touched:
        return ScanOutcome(status="already-done")
    log.warning("letter quarantined", extra={"scan_id": held.ids[0]})
    return ScanOutcome(status="quarantined")
