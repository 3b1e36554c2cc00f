"""The case lifecycle as data: one transitions table and one function that moves a case.

Every status change, from the console, the CLI or a worker, goes through
:func:`move`, which checks the move against the table and writes the audit event in
the same transaction, so the trail can never disagree with the status.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pipeline.cases.events import record_event
from pipeline.db.models import Case

STATUSES: dict[str, tuple[str, str]] = {
    "new": ("Awaiting review", "待审核"),
    "routed": ("With the department", "已分派部门"),
    "proposed": ("Resolution proposed", "已提出处理方案"),
    "approved": ("Resolution approved", "方案已批准"),
    "disputed": ("Customer disputes the resolution", "客户对处理方案有异议"),
    "closed": ("Closed", "已结案"),
    "not_ours": ("Closed: not our responsibility", "已结案：非我方责任"),
    "merged": ("Closed: merged into another case", "已结案：已并入其他投诉"),
}

OPEN_STATUSES = ("new", "routed", "proposed", "approved", "disputed")
"""Work not finished: a duplicate can be merged away only from one of these."""

CLOSING_KINDS: dict[str, tuple[str, str]] = {
    "agreed": ("Closed with the customer's agreement", "客户同意后结案"),
    "no_reply": ("Closed without reply", "客户未回复，已结案"),
}
"""How a ``closed`` case closed (``cases.closing_kind``); the statistics count each apart.

"" is a case closed before the kinds existed (they all closed on agreement)."""

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"routed", "not_ours", "merged"}),
    "routed": frozenset({"proposed", "new", "merged"}),
    "proposed": frozenset({"approved", "routed", "merged"}),
    "approved": frozenset({"closed", "disputed", "merged"}),
    # The customer refused the notice or asked questions: the department proposes again.
    "disputed": frozenset({"proposed", "merged"}),
    "closed": frozenset({"routed"}),
    "not_ours": frozenset({"new"}),
    "merged": frozenset(),  # final: its correspondence lives on in the case it joined
}


class TransitionError(ValueError):
    """A status change the process does not allow."""


def move(session: Session, *, case: Case, to: str, by: str, **detail: Any) -> None:
    """Change a case's status if the process allows it, and record who did it."""
    if to not in TRANSITIONS.get(case.status, frozenset()):
        raise TransitionError(f"A case cannot go from '{case.status}' to '{to}'.")
    previous = case.status
    case.status = to
    record_event(session, case=case, action="status", by=by, previous=previous, status=to, **detail)
