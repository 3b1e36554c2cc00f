"""Read-only views of the scanned letters for the CLI (and later the console)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Case, LetterScan


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
