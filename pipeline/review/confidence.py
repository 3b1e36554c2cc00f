"""Which parsed fields staff should check first.

Email intake does not score each field, so a field is "weak" when the parser found
nothing where a complaint normally has something (no name, no phone, no demand) or
the case carries an attention note. Cases from scanned letters may later bring
per-field confidences; ``weak_fields`` is the one place that reads them.
"""

from __future__ import annotations

from pipeline.db.models import Case

LOW, CHECK, HIGH = "low", "check", "high"


def weak_fields(case: Case) -> list[str]:
    """Fields the reviewer should look at, most important first."""
    weak = []
    if not case.customer_name.strip():
        weak.append("customer_name")
    if not case.customer_phone:
        weak.append("customer_phone")
    if not case.customer_email and not case.customer_address.strip():
        weak.append("customer_email")
    if not case.demands:
        weak.append("demands")
    if not case.what_happened.strip():
        weak.append("what_happened")
    return weak


def confidence(case: Case) -> str:
    """How sure the machine was overall: high, check (one thing to look at) or low."""
    weak = weak_fields(case)
    if case.attention or len(weak) >= 2:
        return LOW
    return CHECK if weak else HIGH
