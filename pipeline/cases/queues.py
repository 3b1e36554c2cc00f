"""The work queues: what is due, in the order it is due.

A department's queue shows its open cases, overdue first and then by deadline
(soonest first; cases without a deadline last), so open work never sinks below
closed cases. Filters narrow it: *mine* (the case's named handler is me),
*unassigned* (no handler yet), *waiting on the customer*, *overdue*, or *all*
statuses (newest first). Supervisors have two queues of their own: *approvals* (proposals
waiting for a decision) and *overdue* (every department).

What the words mean, in one place:

- **open**: not finished (new, routed, proposed, approved);
- **waiting on the customer**: the resolution is approved and sent, and we wait
  for the customer to agree (status ``approved``); nothing is due from us;
- **overdue**: the deadline told to the customer has passed while the work is
  ours to do (new after a send-back, routed, proposed): the statuses in
  :data:`DUE_FROM_US`, the same the scheduler escalates.

The deadline lives in ``case_deadlines`` (one row per case, ``due_at`` indexed);
every list is one query joining it, and every count one capped query, so the top
bar's counts cost the same on a million cases as on ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, case, func, select
from sqlalchemy.orm import Session

from pipeline.cases.lifecycle import OPEN_STATUSES
from pipeline.db.models import Case, CaseDeadline

PAGE_SIZE = 50
MAX_PAGE = 200
COUNT_CAP = 999
"""Counts stop here ("999+"): a badge needs no exact figure past it, and stays cheap."""

_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])

DUE_FROM_US = ("new", "routed", "proposed", "disputed")
WAITING_ON_CUSTOMER = ("approved",)
VIEWS = ("open", "mine", "unassigned", "waiting", "overdue", "all")


class UnknownView(ValueError):
    """A queue filter that does not exist."""


@dataclass(frozen=True)
class QueueRow:
    """One case in a queue, with its deadline (None: no deadline yet)."""

    case: Case
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool

    @property
    def cases(self) -> list[Case]:
        return [row.case for row in self.rows]


def _due() -> ScalarSelect[datetime]:
    """The case's deadline, looked up by primary key for each case the filters kept.

    A lookup per case, not a join: the planner would otherwise hash-join the whole
    deadlines table (one row per case ever routed) to the few open cases.
    """
    return (select(CaseDeadline.due_at).where(CaseDeadline.case_id == Case.id)
            .correlate(Case).scalar_subquery())


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(DUE_FROM_US), _due() < now)


def _with_deadline() -> Select[Case, datetime]:
    return select(Case, _due())


def _view_filter(view: str, *, username: str, now: datetime) -> list[ColumnElement[bool]]:
    """The conditions of one filter of the department queue."""
    is_open = Case.status.in_(OPEN_STATUSES)
    conditions: dict[str, list[ColumnElement[bool]]] = {
        "open": [is_open],
        "mine": [is_open, Case.handler == username],
        "unassigned": [is_open, Case.handler.is_(None)],
        "waiting": [Case.status.in_(WAITING_ON_CUSTOMER)],
        "overdue": [_overdue(now)],
        "all": [],
    }
    if view not in conditions:
        raise UnknownView(f"Unknown queue filter '{view}'. / 未知的筛选条件。")
    return conditions[view]


def _due_order(now: datetime) -> list[Any]:
    """The customer wrote and nobody has acted since: those first (issue 12). Then overdue,
    then the soonest deadline, cases without one last."""
    return [case((Case.customer_wrote_at.is_not(None), 0), else_=1),
            case((_overdue(now), 0), else_=1), _due().asc().nulls_last(), Case.received_at,
            Case.id]


NEWEST_FIRST = (Case.received_at.desc(), Case.id.desc())
"""The order of *all statuses*: a walk back along the received_at index that stops after
a page, where sorting every case the department ever had by deadline would not."""


def _page(session: Session, query: Select[Case, datetime], *, page: int,
          now: datetime) -> QueuePage:
    page = min(max(page, 1), MAX_PAGE)
    found = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    rows = [QueueRow(case=row, due_at=due, overdue=due is not None and due < now
                     and row.status in DUE_FROM_US)
            for row, due in found[:PAGE_SIZE]]
    return QueuePage(rows=rows, page=page, has_next=len(found) > PAGE_SIZE)


def _scoped(query: _S, scope: str | None) -> _S:
    return query if scope is None else query.where(Case.department == scope)


def department_queue(session: Session, *, scope: str | None, view: str = "open",
                     username: str = "", now: datetime, page: int = 1) -> QueuePage:
    """One page of a department's queue (``scope``; None: every department)."""
    query = _scoped(_with_deadline(), scope).where(
        *_view_filter(view, username=username, now=now))
    order = NEWEST_FIRST if view == "all" else _due_order(now)
    return _page(session, query.order_by(*order), page=page, now=now)


def approvals_queue(session: Session, *, now: datetime, page: int = 1) -> QueuePage:
    """Proposals waiting for a supervisor's decision, the soonest deadline first."""
    query = _with_deadline().where(Case.status == "proposed")
    return _page(session, query.order_by(*_due_order(now)), page=page, now=now)


def overdue_queue(session: Session, *, scope: str | None = None, now: datetime,
                  page: int = 1) -> QueuePage:
    """Every overdue case, the longest overdue first."""
    query = _scoped(_with_deadline(), scope).where(_overdue(now))
    return _page(session, query.order_by(*_due_order(now)), page=page, now=now)


def _capped_count(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    limited = query.limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


@dataclass(frozen=True)
class QueueCounts:
    """The top bar's badges; None for a queue the user does not have."""

    review: int | None = None
    department: int | None = None
    approvals: int | None = None
    overdue: int | None = None


def queue_counts(session: Session, *, review: bool, department: bool, supervise: bool,
                 scope: str | None, now: datetime) -> QueueCounts:
    """Count each queue the user has: one capped, indexed query per count."""
    return QueueCounts(
        review=_capped_count(session, select(Case.id).where(Case.status == "new"))
        if review else None,
        department=_capped_count(session, _scoped(select(Case.id), scope).where(
            Case.status.in_(OPEN_STATUSES))) if department else None,
        approvals=_capped_count(session, select(Case.id).where(Case.status == "proposed"))
        if supervise else None,
        overdue=_capped_count(session, select(Case.id).where(_overdue(now)))
        if supervise else None,
    )
