"""A read letter's pages kept for review: OCR text and boxes in the DB, with field sources.

Stored in the same transaction that opens the case, so a case from a scan always has
its pages (or, for letters read before pages were kept, none at all).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import FieldConfidence, LetterScan, ScanPage
from pipeline.scans.document import DocumentText
from pipeline.scans.fields import LetterFields
from pipeline.scans.ocr import OcrLine
from pipeline.scans.sources import field_sources


def store_pages(
    session: Session,
    *,
    scan: LetterScan,
    case_id: int,
    document: DocumentText,
    fields: LetterFields,
    file_ids: list[int],
) -> None:
    """One row per page, and where each field was read on them, for the case page."""
    for number, (page, (file_index, frame)) in enumerate(
        zip(document.pages, document.origins, strict=True), start=1
    ):
        session.add(
            ScanPage(
                scan_id=scan.id,
                number=number,
                file_id=file_ids[file_index],
                frame=frame,
                angle=page.angle,
                width=page.width,
                height=page.height,
                confidence=page.confidence,
                text=page.text,
                lines=[_line(line) for line in page.lines],
            )
        )
    stored = session.get(FieldConfidence, case_id)
    if stored is not None:
        stored.sources = field_sources(document, fields)


def _line(line: OcrLine) -> dict[str, Any]:
    return {
        "text": line.text,
        "boxes": [
            {
                "text": box.text,
                "score": round(box.score, 3),
                "x": round(box.x, 1),
                "y": round(box.y, 1),
                "w": round(box.w, 1),
                "h": round(box.h, 1),
            }
            for box in line.boxes
        ],
    }


def case_pages(session: Session, case_id: int) -> list[ScanPage]:
    """The pages of the letter a case was opened from, in order ([] for other cases)."""
    return list(
        session.scalars(
            select(ScanPage)
            .join(LetterScan, LetterScan.id == ScanPage.scan_id)
            .where(LetterScan.case_id == case_id)
            .order_by(ScanPage.number)
        )
    )
