"""Events and correspondence written without ORM objects (pipeline.db.pending_rows):
seen by the transaction's own queries, in order, and gone with a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pipeline.cases.events import record_event
from pipeline.db.models import Case, CaseEvent
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime


def a_case(runtime: Runtime) -> int:
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    with runtime.factory() as session:
        case_id = session.scalar(select(func.max(Case.id)))
    assert case_id is not None
    return case_id


def actions(runtime: Runtime, case_id: int) -> list[str]:
    with runtime.factory() as session:
        return list(session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id)
                                    .order_by(CaseEvent.id)))


def test_events_are_kept_in_the_order_recorded_and_seen_by_the_transactions_queries(
    runtime: Runtime,
) -> None:
    """GIVEN three events recorded in one transaction THEN a query in that transaction
    sees them (as autoflush would show pending objects), and they are stored in order."""
    case_id = a_case(runtime)
    before = actions(runtime, case_id)
    with runtime.factory() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        for action in ("first_note", "second_note", "third_note"):
            record_event(session, case=case, action=action, by="system")
        seen = session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.case_id == case_id, CaseEvent.action.like("%_note")))

    assert seen == 3
    assert actions(runtime, case_id) == [*before, "first_note", "second_note", "third_note"]


def test_a_rollback_drops_the_events_it_recorded(runtime: Runtime) -> None:
    case_id = a_case(runtime)
    before = actions(runtime, case_id)
    with pytest.raises(RuntimeError), runtime.factory() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        record_event(session, case=case, action="never_happened", by="system")
        raise RuntimeError("the work failed")
    with runtime.factory() as session, session.begin():  # the same session kind, again
        case = session.get(Case, case_id)
        assert case is not None
        record_event(session, case=case, action="happened", by="system")

    assert actions(runtime, case_id) == [*before, "happened"]


def test_a_savepoint_rolled_back_takes_its_event_with_it(runtime: Runtime) -> None:
    """GIVEN an event before a savepoint and one inside it WHEN the savepoint rolls back
    THEN only the first is stored."""
    case_id = a_case(runtime)
    before = actions(runtime, case_id)
    with runtime.factory() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        record_event(session, case=case, action="kept", by="system")
        savepoint = session.begin_nested()
        record_event(session, case=case, action="undone", by="system")
        session.flush()  # inside the savepoint
        savepoint.rollback()

    assert actions(runtime, case_id) == [*before, "kept"]
