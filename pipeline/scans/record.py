"""Recording a scanned letter as a job row, before any OCR: the row is the truth.

From a mail, the pages are stored as the mail's attachments; from the scan folder,
the file is stored with no mail. Either way the row is committed before the mail is
marked processed or the file is moved out of the folder, and the same bytes are
recorded once (sha256), so a rescan or a crash in between never makes a second case.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import InboundMail, LetterScan
from pipeline.mail.attachments import store_attachments
from pipeline.mail.message import MailAttachment, ParsedMail
from pipeline.scans.budget import count_pages, hold_reason
from pipeline.scans.detect import from_scanner


@dataclass(frozen=True)
class RecordedScan:
    scan_id: int
    is_new: bool


def record_scan(
    session: Session,
    *,
    settings: Settings,
    pages: list[MailAttachment],
    source: str,
    inbound_mail_id: int | None = None,
    from_address: str = "",
) -> RecordedScan:
    """Store the pages and add the OCR job row (held when over a budget); the caller commits."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(hashlib.sha256(page.payload).digest())
    key = digest.hexdigest()
    existing = session.scalar(select(LetterScan).where(LetterScan.sha256 == key))
    if existing is not None:
        return RecordedScan(scan_id=existing.id, is_new=False)
    stored = store_attachments(
        session,
        root=Path(settings.storage_dir),
        attachments=tuple(pages),
        inbound_mail_id=inbound_mail_id,
        case_id=None,
    )
    session.flush()
    now = utcnow()
    page_count = count_pages(pages, max_pages=settings.ocr_max_pages)
    held = hold_reason(session, settings=settings, pages=page_count,
                       sender=from_address[:320], now=now)
    scan = LetterScan(
        sha256=key,
        source=source[:500],
        inbound_mail_id=inbound_mail_id,
        files=[row.id for row in stored],
        from_address=from_address[:320],
        received_at=now,
        pages=page_count,  # the estimate the budgets count; the real count once read
        status="held" if held else "received",
        quarantine_reason=held,
    )
    session.add(scan)
    session.flush()
    return RecordedScan(scan_id=scan.id, is_new=True)  # a held one is not claimable yet


def scan_from_mail(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    pages: list[MailAttachment],
    settings: Settings,
) -> RecordedScan:
    """A mail that is a letter: the customer's address counts, a scanner's does not."""
    customer = "" if from_scanner(mail, settings) else mail.from_address
    inbound.detail = f"Scanned letter with {len(pages)} file(s); read by OCR."
    recorded = record_scan(
        session,
        settings=settings,
        pages=pages,
        source=f"mail #{inbound.id}",
        inbound_mail_id=inbound.id,
        from_address=customer,
    )
    scan = session.get(LetterScan, recorded.scan_id)
    if scan is not None and scan.status == "held":
        inbound.detail = f"Scanned letter with {len(pages)} file(s); held for staff (OCR budget)."
    return recorded
