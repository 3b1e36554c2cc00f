"""The audit trail: what happened to a case, who did it, when.

It sits beside the tables, below every workflow package: the outbox, the print
queue and the case packages all write to the trail, and the case package opens
cases through the outbox, so the writer cannot live in either of them without a
cycle. ``pipeline.cases.events`` re-exports it under its usual name.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent
from pipeline.db.pending_rows import add_row

log = logging.getLogger("pipeline.cases.events")

MACHINE_ACTORS = frozenset({"system", "customer", ""})
"""Actors that are not staff: their events leave a customer's unanswered mail waiting."""


def record_event(session: Session, *, case: Case, action: str, by: str, **detail: Any) -> None:
    """Append an event to the case's trail in the caller's transaction (a row written
    with the next flush: :mod:`pipeline.db.pending_rows`)."""
    add_row(session, CaseEvent, case_id=case.id, at=utcnow(), actor=by, action=action,
            detail=detail)
    if by not in MACHINE_ACTORS:
        # A member of staff acted after the customer's last mail: it has been seen.
        case.customer_wrote_at = None
    log.info("case event", extra={"case_ref": case.reference, "action": action, "by": by})
