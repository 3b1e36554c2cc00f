"""The case facts the statistics read stay equal to what the source rows say."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from pipeline import jobs
from pipeline.db.base import utcnow
from pipeline.db.facts import facts_query, rebuild_all_facts, refresh_facts
from pipeline.db.migrate import alembic_config
from pipeline.db.models import Case, CaseFacts, OutboundMail, StaleMark
from pipeline.outbound.sent import mark_sent
from tests.integration.test_statistics import _build
from tests.support import mails
from tests.support.waiting import wait_until
from workers.inline import ingest_bytes
from workers.runtime import Runtime


def _stored(session: Session) -> dict[int, tuple[Any, ...]]:
    rows = session.execute(select(CaseFacts).order_by(CaseFacts.case_id)).scalars()
    return {f.case_id: (f.reference, f.received_at, f.department, f.channel, f.category,
                        f.product, f.method, Decimal(f.loss_amount),
                        Decimal(f.compensation_amount), f.close_seconds, f.ack_seconds,
                        f.deadline_kept, f.score) for f in rows}


def _recomputed(session: Session) -> dict[int, tuple[Any, ...]]:
    """The facts as the source rows give them now, computed from scratch."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(facts_query(dialect)).all()
    return {r[0]: (r[1], r[2], r[3], r[4], r[5], r[6], r[7], Decimal(r[8]), Decimal(r[9]),
                   r[10], r[11], None if r[12] is None else bool(r[12]), r[13]) for r in rows}


def _assert_same(stored: dict[int, tuple[Any, ...]], fresh: dict[int, tuple[Any, ...]]) -> None:
    assert stored.keys() == fresh.keys()
    for case_id, row in stored.items():
        expected = fresh[case_id]
        assert row[:9] == expected[:9], case_id
        for mine, theirs in zip(row[9:11], expected[9:11], strict=True):  # seconds
            assert (mine is None) == (theirs is None)
            if mine is not None:
                assert mine == pytest.approx(theirs, abs=0.01)
        assert row[11:] == expected[11:], case_id


def test_facts_follow_every_step_of_the_workflow(runtime: Runtime) -> None:
    """Routing, proposals, approval, agreement, surveys and edits all reach the facts."""
    _build(runtime)
    with runtime.factory() as session:
        stored, fresh = _stored(session), _recomputed(session)
        cases = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    assert len(stored) == 8 and cases in stored
    _assert_same(stored, fresh)
    closed = [row for row in stored.values() if row[9] is not None]
    assert len(closed) == 4
    assert {row[6] for row in stored.values()} == {
        "", "compensation", "replacement", "return", "discount"}
    assert sorted(row[12] for row in stored.values() if row[12] is not None) == [2, 4, 5]
    assert all(row[10] is not None for row in stored.values())  # every ack was sent


def test_acknowledgment_sent_by_the_outbox_reaches_the_facts(runtime: Runtime) -> None:
    """The outbox marks mail sent with a Core UPDATE, which the session hook cannot see."""
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    with runtime.factory() as session:
        facts = session.scalars(select(CaseFacts)).one()
        assert facts.ack_seconds is not None and facts.ack_seconds >= 0
        assert facts.channel == "email" and facts.method == "" and facts.score is None
        _assert_same(_stored(session), _recomputed(session))


def test_rolled_back_changes_leave_the_facts_as_they_were(runtime: Runtime) -> None:
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    with runtime.factory() as session:
        before = _stored(session)
    with runtime.factory() as session:  # a transaction rolled back
        case = session.scalars(select(Case)).one()
        case.department, case.product = "quality", "KT-200"
        session.flush()
        session.rollback()
    with runtime.factory() as session:
        assert _stored(session) == before
    with runtime.factory() as session, session.begin():  # a savepoint rolled back, as the
        case = session.scalars(select(Case)).one()  # console does on a refused action
        savepoint = session.begin_nested()
        case.product = "KT-300"
        session.flush()
        savepoint.rollback()
        case.category = "quality"
    with runtime.factory() as session:
        after = _stored(session)
        _assert_same(after, _recomputed(session))
    # The category changed, not the product (intake's suggestion, kept).
    assert after[case.id][4:6] == ("quality", before[case.id][5])


def test_rebuild_and_the_migration_backfill_give_the_same_facts(runtime: Runtime) -> None:
    """Existing databases get their facts from migration 0006; repairs from a rebuild."""
    _build(runtime)
    with runtime.factory() as session:
        expected = _stored(session)
    with runtime.factory() as session, session.begin():
        session.execute(delete(CaseFacts))
    with runtime.factory() as session, session.begin():
        assert rebuild_all_facts(session) == 8
    with runtime.factory() as session:
        _assert_same(_stored(session), expected)
    config = alembic_config(runtime.settings.effective_database_url)
    command.downgrade(config, "0005")
    command.upgrade(config, "head")
    with runtime.factory() as session:
        _assert_same(_stored(session), expected)


def test_a_repair_rebuild_recomputes_the_time_to_acknowledge(runtime: Runtime) -> None:
    """A refresh keeps a recorded time to acknowledge the rows no longer show (it may be
    a send it cannot see yet); a repair trusts the rows alone."""
    _build(runtime)
    with runtime.factory() as session, session.begin():
        case_id = session.scalars(select(CaseFacts.case_id)
                                  .where(CaseFacts.ack_seconds.is_not(None))).first()
        assert case_id is not None
        session.execute(update(OutboundMail).where(OutboundMail.case_id == case_id)
                        .values(sent_at=None))
        recorded = session.get(CaseFacts, case_id).ack_seconds  # type: ignore[union-attr]
    with runtime.factory() as session, session.begin():
        refresh_facts(session, [case_id])
    with runtime.factory() as session:
        assert _stored(session)[case_id][10] == recorded
    with runtime.factory() as session, session.begin():
        rebuild_all_facts(session)
    with runtime.factory() as session:
        assert _stored(session)[case_id][10] is None
        _assert_same(_stored(session), _recomputed(session))


def test_only_changes_to_counted_fields_rebuild_the_facts(runtime: Runtime) -> None:
    """A note for staff or a reminder changes no figure, so it marks no day for recounting."""
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")

    def marks() -> int:
        with runtime.factory() as session:
            return session.scalar(select(func.count()).select_from(StaleMark)) or 0

    before = marks()
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().attention = "Call the customer back."
    assert marks() == before
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().product = "KT-200"
    assert marks() > before
    with runtime.factory() as session:
        assert session.scalars(select(CaseFacts.product)).one() == "KT-200"


def test_two_changes_to_one_case_at_once_both_reach_its_facts(runtime: Runtime) -> None:
    """The second refresh waits for the first one's commit, then reads both changes."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: there is no such race")
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    first = runtime.factory()
    try:
        ack = first.scalars(select(OutboundMail)).one()
        ack.sent_at = ack.created_at + timedelta(hours=2)  # another row of the same case
        first.flush()
        refresh_facts(first, [ack.case_id])  # what its commit does; holds the case's lock

        def second_change() -> None:
            with runtime.factory() as session, session.begin():
                session.scalars(select(Case)).one().product = "KT-200"

        second = threading.Thread(target=second_change)
        second.start()
        with runtime.engine.connect() as watcher:
            wait_until(lambda: watcher.execute(text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
            )).scalar() == 1, timeout=30, what="the second refresh to wait for the first")
        first.commit()
    finally:
        first.close()
    second.join(timeout=60)
    assert not second.is_alive()
    with runtime.factory() as session:
        facts = session.scalars(select(CaseFacts)).one()
        assert facts.product == "KT-200"
        assert facts.ack_seconds is not None and facts.ack_seconds >= 7200


def test_a_change_racing_the_outbox_keeps_the_time_to_acknowledge(runtime: Runtime) -> None:
    """GIVEN the outbox recording an acknowledgment as sent (no facts lock taken)
    WHEN staff change the same case at once, and its rebuild reads a snapshot from
    before the send THEN the rebuild waits for the facts row and keeps the recorded time."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: there is no such race")
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    with runtime.factory() as session, session.begin():
        ack = session.scalars(select(OutboundMail)).one()
        ack.status, ack.sent_at = "pending", None
        ack_id = ack.id
    with runtime.factory() as session, session.begin():
        session.execute(update(CaseFacts).values(ack_seconds=None))
    held = jobs.claim(runtime.factory, jobs.OUTBOX, [ack_id], seconds=60, count_attempt=False)
    assert held.ids == (ack_id,)

    outbox = runtime.factory()
    try:
        outbox.begin()
        sent_at = utcnow() + timedelta(hours=2)
        # Holds the facts row until commit.
        assert mark_sent(outbox, held, ack_id, sent_at) is not None

        def staff_change() -> None:
            with runtime.factory() as session, session.begin():
                session.scalars(select(Case)).one().product = "KT-200"

        staff = threading.Thread(target=staff_change)
        staff.start()
        with runtime.engine.connect() as watcher:
            wait_until(lambda: watcher.execute(text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
            )).scalar() == 1, timeout=30, what="the rebuild to wait for the facts row")
        outbox.commit()
    finally:
        outbox.close()
    staff.join(timeout=60)
    assert not staff.is_alive()
    with runtime.factory() as session:
        facts = session.scalars(select(CaseFacts)).one()
        assert facts.product == "KT-200"
        assert facts.ack_seconds is not None and facts.ack_seconds >= 7000
        _assert_same(_stored(session), _recomputed(session))
