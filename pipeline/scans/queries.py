"""Read-only views of the scanned letters for the CLI and the console."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Attachment, Case, LetterScan


def list_scans(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LetterScan, Case.reference)
        .outerjoin(Case, Case.id == LetterScan.case_id)
        .order_by(LetterScan.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": scan.id,
            "received_at": scan.received_at.isoformat(),
            "source": scan.source,
            "status": scan.status,
            "pages": scan.pages,
            "case_reference": reference,
            "reason": scan.quarantine_reason,
        }
        for scan, reference in rows
    ]


def quarantined_scan(session: Session, scan_id: int) -> tuple[LetterScan, list[Attachment]] | None:
    """A scan kept without a case (unreadable, or given up on), with its stored files."""
    scan = session.scalar(
        select(LetterScan).where(
            LetterScan.id == scan_id,
            LetterScan.status.in_(["quarantined", "failed"]),
            LetterScan.case_id.is_(None),
        )
    )
    if scan is None:
        return None
    rows = {
        row.id: row
        for row in session.scalars(select(Attachment).where(Attachment.id.in_(scan.files)))
    }
    return scan, [rows[i] for i in scan.files if i in rows]
