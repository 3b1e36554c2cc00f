"""The work queues: open cases, overdue first, then by deadline; each filter; the counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.cases.queues import (
    UnknownView,
    approvals_queue,
    department_queue,
    overdue_queue,
    queue_counts,
)
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseDeadline
from workers.app import build_runtime
from workers.runtime import Runtime

NOW = utcnow()


def _case(session: Session, number: int, status: str, *, department: str | None = "quality",
          due_in_days: float | None = None, handler: str | None = None,
          received_days_ago: float = 20) -> None:
    case = Case(reference=f"CP-2026-{number:06d}", status=status, channel="email",
                received_at=NOW - timedelta(days=received_days_ago), department=department,
                handler=handler, subject=f"case {number}")
    session.add(case)
    session.flush()
    if due_in_days is not None:
        due = NOW + timedelta(days=due_in_days)
        session.add(CaseDeadline(case_id=case.id, due_at=due, remind_at=due - timedelta(days=1),
                                 working_days=10, set_by="intake"))


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """GIVEN quality's cases in every state, one of logistics' and one not yet routed."""
    runtime = build_runtime(settings)
    with runtime.factory() as session, session.begin():
        _case(session, 1, "routed", due_in_days=-2, handler="quinn")     # overdue, mine
        _case(session, 2, "proposed", due_in_days=1)                     # due tomorrow
        _case(session, 3, "routed", due_in_days=5, handler="rita")       # due later
        _case(session, 4, "routed")                                      # no deadline yet
        _case(session, 5, "approved", due_in_days=-1, handler="quinn")   # waiting on customer
        _case(session, 6, "closed", due_in_days=-10)                     # closed
        _case(session, 7, "proposed", due_in_days=-4)                    # overdue proposal
        _case(session, 8, "routed", department="logistics", due_in_days=-5)
        _case(session, 9, "new", department=None)
    yield runtime
    runtime.engine.dispose()


def _refs(runtime: Runtime, view: str, scope: str | None = "quality") -> list[int]:
    with runtime.factory() as session:
        found = department_queue(session, scope=scope, view=view, username="quinn", now=NOW)
        return [int(row.case.reference[-6:]) for row in found.rows]


def test_open_cases_overdue_first_then_by_deadline_none_last(runtime: Runtime) -> None:
    assert _refs(runtime, "open") == [7, 1, 5, 2, 3, 4]


def test_mine_shows_my_open_cases(runtime: Runtime) -> None:
    assert _refs(runtime, "mine") == [1, 5]


def test_unassigned_shows_open_cases_without_a_handler(runtime: Runtime) -> None:
    assert _refs(runtime, "unassigned") == [7, 2, 4]


def test_waiting_shows_approved_cases_waiting_for_the_customers_agreement(
        runtime: Runtime) -> None:
    assert _refs(runtime, "waiting") == [5]


def test_overdue_shows_only_cases_past_their_deadline_with_work_left(runtime: Runtime) -> None:
    assert _refs(runtime, "overdue") == [7, 1]


def test_all_statuses_lists_every_case_of_the_department_newest_first(
        runtime: Runtime) -> None:
    assert _refs(runtime, "all") == [7, 6, 5, 4, 3, 2, 1]  # received together: by id


def test_rows_say_which_are_overdue(runtime: Runtime) -> None:
    with runtime.factory() as session:
        rows = department_queue(session, scope="quality", view="open", now=NOW).rows
    assert [row.overdue for row in rows] == [True, True, False, False, False, False]
    assert rows[-1].due_at is None


def test_an_unknown_filter_is_refused(runtime: Runtime) -> None:
    with runtime.factory() as session, pytest.raises(UnknownView):
        department_queue(session, scope="quality", view="everything", now=NOW)


def test_supervisors_see_approvals_and_every_departments_overdue(runtime: Runtime) -> None:
    with runtime.factory() as session:
        approvals = approvals_queue(session, now=NOW).rows
        overdue = overdue_queue(session, now=NOW).rows
    assert [row.case.reference[-1] for row in approvals] == ["7", "2"]
    assert [row.case.reference[-1] for row in overdue] == ["8", "7", "1"]


def test_counts_of_each_queue(runtime: Runtime) -> None:
    with runtime.factory() as session:
        supervisor = queue_counts(session, review=True, department=True, supervise=True,
                                  scope=None, now=NOW)
        handler = queue_counts(session, review=False, department=True, supervise=False,
                               scope="quality", now=NOW)
    assert (supervisor.review, supervisor.department, supervisor.approvals,
            supervisor.overdue) == (1, 8, 2, 3)
    assert (handler.review, handler.department, handler.approvals, handler.overdue) == (
        None, 6, None, None)


def test_counts_stop_at_the_cap(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.cases.queues.COUNT_CAP", 2)
    with runtime.factory() as session:
        counts = queue_counts(session, review=False, department=True, supervise=False,
                              scope=None, now=NOW)
    assert counts.department == 3  # "more than the cap", shown as such

