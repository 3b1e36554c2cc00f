"""What the case page shows of a letter: its pages, the outlines of each field, the doubts.

Plain data for the template, read from the stored pages and field confidences; a
case that did not come from a scan (or was read before pages were kept) has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pipeline.db.models import FieldConfidence
from pipeline.scans.pages import case_pages

# A missing name or phone is worth a look; a letter need not give an e-mail or amount.
MUST_HAVE = ("customer_name", "customer_phone")


@dataclass(frozen=True)
class Outline:
    """A rectangle on a page (page pixels) that a field's value was read from."""

    field: str
    x: float
    y: float
    w: float
    h: float
    weak: bool


@dataclass(frozen=True)
class PageView:
    number: int
    width: int
    height: int
    text: str
    confidence: float
    outlines: list[Outline] = field(default_factory=list)


@dataclass(frozen=True)
class ScanReview:
    pages: list[PageView]
    confidences: dict[str, float]  # field key -> 0..1, as extraction scored it
    weak: list[str]  # field keys to check against the scan
    letter_date: str = ""
    amounts: list[str] = field(default_factory=list)


def doubtful(confidences: dict[str, dict[str, Any]]) -> list[str]:
    """Fields read with low confidence, or missing where a letter should have them."""
    return [
        key
        for key, value in confidences.items()
        if value.get("weak") and (value.get("confidence") or key in MUST_HAVE)
    ]


def scan_review(session: Session, case_id: int) -> ScanReview | None:
    """The letter's pages with field outlines, or None when the case has no stored pages."""
    pages = case_pages(session, case_id)
    if not pages:
        return None
    stored = session.get(FieldConfidence, case_id)
    data: dict[str, Any] = stored.fields if stored is not None else {}
    scored: dict[str, dict[str, Any]] = data.get("fields", {})
    weak = doubtful(scored)
    sources: dict[str, list[dict[str, float]]] = (stored.sources if stored else None) or {}
    views = []
    for page in pages:
        outlines = [
            Outline(key, rect["x"], rect["y"], rect["w"], rect["h"], key in weak)
            for key, rects in sources.items()
            for rect in rects
            if rect.get("page") == page.number
        ]
        views.append(
            PageView(
                number=page.number,
                width=page.width,
                height=page.height,
                text=page.text,
                confidence=page.confidence,
                outlines=outlines if page.width and page.height else [],
            )
        )
    return ScanReview(
        pages=views,
        confidences={key: float(value.get("confidence", 0.0)) for key, value in scored.items()},
        weak=weak,
        letter_date=str(data.get("letter_date", "")),
        amounts=[str(a) for a in data.get("amounts", [])],
    )
