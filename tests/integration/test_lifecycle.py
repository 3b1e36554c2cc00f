"""The case lifecycle: one table of allowed moves, each move leaves an audit event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from config.settings import Settings
from pipeline.cases.lifecycle import TRANSITIONS, TransitionError, move
from pipeline.db.models import Case, CaseEvent
from tests.support import mails
from workers.app import build_runtime
from workers.inline import ingest_bytes


def test_every_status_in_the_table_can_be_left_or_is_terminal() -> None:
    targets = {to for moves in TRANSITIONS.values() for to in moves}

    assert targets <= set(TRANSITIONS)


def test_allowed_move_changes_status_and_records_who(sqlite_settings: Settings) -> None:
    runtime = build_runtime(sqlite_settings)
    ingest_bytes(runtime, mails.complaint(), name="a.eml")

    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        move(session, case=case, to="routed", by="alice", department="quality")

    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        event = session.scalars(select(CaseEvent).order_by(CaseEvent.id.desc())).first()
    assert case.status == "routed"
    assert event is not None and event.actor == "alice"
    assert event.detail == {"previous": "new", "status": "routed", "department": "quality"}
    runtime.engine.dispose()


def test_forbidden_move_is_refused_and_leaves_no_trace(sqlite_settings: Settings) -> None:
    runtime = build_runtime(sqlite_settings)
    ingest_bytes(runtime, mails.complaint(), name="a.eml")

    with runtime.factory() as session, session.begin(), pytest.raises(TransitionError):
        move(session, case=session.scalars(select(Case)).one(), to="closed", by="bob")

    with runtime.factory() as session:
        assert session.scalars(select(Case)).one().status == "new"
        assert not session.scalars(select(CaseEvent).where(CaseEvent.actor == "bob")).all()
    runtime.engine.dispose()
