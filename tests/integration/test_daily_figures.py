"""The daily figures the reports read stay equal to a recount from the case facts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.db.models import Case, DailyFigures, DailyFiguresState, StaleMark
from pipeline.reports.days import refresh_daily_figures
from pipeline.reports.periods import parse_period
from pipeline.reports.statistics import gather
from tests.integration.test_statistics import SHANGHAI, _build
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime


def _figures(session: Session) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(DailyFigures)).all()
    return sorted((r.day, r.department, r.channel, r.category, r.product, r.method, r.cases,
                   r.loss, r.compensation, r.with_deadline, r.kept, r.scores, r.score_sum,
                   r.closed_0, r.closed_1, r.closed_2, r.closed_3, r.closed_4, r.closed_5)
                  for r in rows)


def _recounted(runtime: Runtime) -> list[tuple[Any, ...]]:
    """Every day counted again from nothing, as after a change of time zone."""
    with runtime.factory() as session, session.begin():
        session.execute(delete(DailyFiguresState))
        refresh_daily_figures(session, SHANGHAI)
    with runtime.factory() as session:
        return _figures(session)


def test_kept_figures_equal_a_recount_after_the_whole_workflow(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        assert refresh_daily_figures(session, SHANGHAI) == 0  # empty database
    _build(runtime)
    with runtime.factory() as session, session.begin():
        assert refresh_daily_figures(session, SHANGHAI) > 0
        assert refresh_daily_figures(session, SHANGHAI) == 0  # nothing stale any more
        kept = _figures(session)
    assert sum(row[6] for row in kept) == 8
    assert kept == _recounted(runtime)


def test_a_case_moved_to_another_day_leaves_its_old_day(runtime: Runtime) -> None:
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    moved = datetime(2026, 3, 9, 4, tzinfo=UTC)  # noon in Shanghai
    with runtime.factory() as session, session.begin():
        before = gather(session, parse_period("2026", SHANGHAI)).summary.cases
        session.scalars(select(Case)).one().received_at = moved
    with runtime.factory() as session, session.begin():
        march = gather(session, parse_period("2026-03", SHANGHAI)).summary
        year = gather(session, parse_period("2026", SHANGHAI)).summary
        days = [row[0] for row in _figures(session)]
    assert (before, march.cases, year.cases) == (1, 1, 1)
    assert days == [moved.date()]


def test_a_new_time_zone_recounts_every_day(runtime: Runtime) -> None:
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    late = datetime(2026, 3, 9, 20, tzinfo=UTC)  # 04:00 on the 10th in Shanghai
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().received_at = late
    with runtime.factory() as session, session.begin():
        refresh_daily_figures(session, SHANGHAI)
        assert [row[0] for row in _figures(session)] == [datetime(2026, 3, 10).date()]
        refresh_daily_figures(session, "America/New_York")
        assert [row[0] for row in _figures(session)] == [datetime(2026, 3, 9).date()]


def test_a_change_in_flight_during_a_refresh_is_counted_by_the_next(runtime: Runtime) -> None:
    """The race the marks are built for: a refresh while a change is uncommitted.

    The refresh cannot see the change, so it counts the day without it; but it cannot
    see (and so cannot remove) the change's mark either, and the next refresh counts it.
    """
    ingest_bytes(runtime, mails.complaint(sender="Li Wei <li@x.example>"), name="1.eml")
    with runtime.factory() as session, session.begin():
        refresh_daily_figures(session, SHANGHAI)
    with runtime.factory() as session, session.begin():  # a committed change, not counted
        session.scalars(select(Case)).one().product = "KT-200"
    changing = runtime.factory()
    try:
        case = changing.scalars(select(Case)).one()
        case.department = "sales"
        changing.flush()  # facts rebuilt and the same day marked, not committed yet
        if runtime.engine.dialect.name == "postgresql":  # SQLite has one writer at a time
            with runtime.factory() as session, session.begin():
                assert refresh_daily_figures(session, SHANGHAI) == 3
            with runtime.factory() as session:
                assert {(row[1], row[4]) for row in _figures(session)} == {("", "KT-200")}
        changing.commit()
    finally:
        changing.close()
    with runtime.factory() as session, session.begin():
        assert session.scalar(select(StaleMark.id)) is not None
        assert refresh_daily_figures(session, SHANGHAI) == 3
        assert {(row[1], row[4]) for row in _figures(session)} == {("sales", "KT-200")}
        assert session.scalar(select(StaleMark.id)) is None
