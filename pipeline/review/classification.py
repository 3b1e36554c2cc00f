"""Checking the four fields that drive deadlines and statistics before they are saved.

Category, severity, product and quantity are corrected like every other field of the
record form (one ``corrected`` event with old and new values), but two need the
configuration: a category must be one the triage file lists, since deadline rules and
statistics count by it, and a product is written the catalogue's way ("电水壶" and
"kettle-k1" are the same product), so recurring problems by product can form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from config.products import Product, catalogue_label
from config.triage import Triage
from pipeline.review.corrections import CorrectionError

CLASSIFICATION = ("category", "severity", "product", "quantity")
REQUIRED_FOR_ROUTING = ("category", "severity")


def checked_classification(
    changes: Mapping[str, Any], *, triage: Triage, products: Sequence[Product]
) -> dict[str, Any]:
    """The changes with the category checked and the product written the catalogue's way.

    An empty category or severity sent by a form means "not chosen yet" and changes
    nothing: a member of staff saving a phone number must not have to pick them first.
    """
    checked = dict(changes)
    for name in REQUIRED_FOR_ROUTING:
        if name in checked and not str(checked[name] or "").strip():
            del checked[name]
    if "category" in checked:
        category = str(checked["category"]).strip()
        if triage.category(category) is None:
            keys = ", ".join(c.key for c in triage.categories)
            raise CorrectionError(f"Category: one of {keys}. / 类别：只能选其中之一。")
        checked["category"] = category
    if "product" in checked:
        checked["product"] = catalogue_label(tuple(products), str(checked["product"] or ""))
    return checked


def missing_for_routing(category: str, severity: str) -> list[str]:
    """Which of category and severity a case still lacks before it can be routed."""
    return [name for name, value in zip(REQUIRED_FOR_ROUTING, (category, severity), strict=True)
            if not value]
