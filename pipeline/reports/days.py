"""The daily figures: each local day's cases counted per kind, kept current.

A report reads the same cases a dozen ways: by department, channel, category,
product, handling method, week, closing time, with the previous period beside them.
Counting a year of case facts for each takes seconds over a million cases; these
counts (``daily_figures``, a few rows per day) answer each in milliseconds.

How they stay exact: every change to a case's facts marks the UTC days of its old and
new facts stale in the same transaction (``pipeline/db/facts.py``). A refresh removes
the marks of committed changes (the only ones it can see) and recounts the local days
those UTC days touch, from the facts; a change still in flight keeps its mark. The
scheduler refreshes every pass, so a report usually finds nothing stale; a report
refreshes first anyway, so it never reads a count older than the facts. Refreshes lock
the one state row, so two never recount the same day at once.

Days are local to the company's time zone, so a month or year is a range of whole
days. The state row records the zone: when it changes, everything is recounted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from pipeline.db.base import insert_for
from pipeline.db.facts import utc_day
from pipeline.db.models import CaseFacts, DailyFigures, DailyFiguresState, StaleMark
from pipeline.reports.periods import Period

METHOD_GROUPS = ("compensation", "return", "discount")
"""Methods counted on their own; every other method counts as "other"."""

CLOSE_BUCKETS = ((1, "≤1"), (3, "1–3"), (7, "3–7"), (14, "7–14"), (30, "14–30"))
"""Upper bounds in days of the time-to-close distribution; the last bucket is >30."""
CLOSE_LABELS = (*(label for _, label in CLOSE_BUCKETS), ">30")

_KEYS = ("department", "channel", "category", "product", "method")
_COUNTS = ("cases", "loss", "compensation", "with_deadline", "kept", "scores", "score_sum",
           *(f"closed_{index}" for index in range(len(CLOSE_LABELS))), "closed_no_reply")


def method_group(method: Any) -> ColumnElement[str]:
    """compensation / return / discount, "other" for the rest, "" for none yet."""
    return case((method == "", ""), *[(method == m, m) for m in METHOD_GROUPS], else_="other")


def in_period(period: Period) -> ColumnElement[bool]:
    """The daily figures of the period's days."""
    return and_(DailyFigures.day >= period.first, DailyFigures.day < period.after)


def _close_bucket(index: int) -> ColumnElement[int]:
    seconds = CaseFacts.close_seconds
    upper = [days * 86400 for days, _ in CLOSE_BUCKETS]
    if index == len(upper):
        return func.count().filter(seconds > upper[-1])
    if index == 0:
        return func.count().filter(seconds <= upper[0])
    return func.count().filter(and_(seconds > upper[index - 1], seconds <= upper[index]))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _count_day(session: Session, day: date, zone: ZoneInfo) -> None:
    """Recount one local day from the case facts received in it."""
    method = method_group(CaseFacts.method)
    keys = (CaseFacts.department, CaseFacts.channel, CaseFacts.category, CaseFacts.product,
            method)
    counts = select(
        literal(day), *keys, func.count(), func.sum(CaseFacts.loss_amount),
        func.sum(CaseFacts.compensation_amount), func.count(CaseFacts.deadline_kept),
        func.count().filter(CaseFacts.deadline_kept.is_(True)), func.count(CaseFacts.score),
        func.coalesce(func.sum(CaseFacts.score), 0),
        *(_close_bucket(index) for index in range(len(CLOSE_LABELS))),
        func.count().filter(CaseFacts.closing_kind == "no_reply"),
    ).where(CaseFacts.received_at >= _local_midnight(day, zone),
            CaseFacts.received_at < _local_midnight(day + timedelta(days=1), zone)
            ).group_by(*keys)
    connection = session.connection()
    connection.execute(delete(DailyFigures).where(DailyFigures.day == day))
    connection.execute(insert(DailyFigures).from_select(["day", *_KEYS, *_COUNTS], counts))


def _locked_state(session: Session, time_zone: str) -> bool:
    """Lock the state row; True when the figures were counted in this time zone."""
    connection = session.connection()
    # The first refresh creates the row; two at once must not fail on its key.
    insert_state = insert_for(connection.dialect.name)(DailyFiguresState)
    connection.execute(insert_state.values(id=1, time_zone="")
                       .on_conflict_do_nothing(index_elements=[DailyFiguresState.id]))
    counted_in = connection.execute(select(DailyFiguresState.time_zone)
                                    .where(DailyFiguresState.id == 1).with_for_update()).scalar()
    if counted_in == time_zone:
        return True
    connection.execute(update(DailyFiguresState).values(time_zone=time_zone))
    return False


def _recount_everything(session: Session) -> None:
    """Forget every count and mark every day that has cases stale."""
    connection = session.connection()
    connection.execute(delete(DailyFigures))
    connection.execute(delete(StaleMark))
    day = utc_day(connection.dialect.name, CaseFacts.received_at)
    connection.execute(insert(StaleMark).from_select(["utc_day"], select(day).distinct()))


def _local_days(utc_days: Iterable[date]) -> list[date]:
    """The local days a UTC day overlaps: the one before, itself and the one after.

    (Any zone is within a day of UTC, so the three always cover it.)
    """
    return sorted({day + timedelta(days=shift) for day in utc_days for shift in (-1, 0, 1)})


def refresh_daily_figures(session: Session, time_zone: str) -> int:
    """Recount the stale days in the caller's transaction; returns how many days."""
    has_stale = session.scalar(select(StaleMark.id).limit(1)) is not None
    state = session.scalar(select(DailyFiguresState.time_zone))
    if not has_stale and state == time_zone:
        return 0  # nothing changed since the last count: no lock needed
    if not _locked_state(session, time_zone):
        _recount_everything(session)
    # Only committed changes' marks are visible, so only they are removed; a change
    # committing while this counts keeps its mark, and the next refresh recounts it.
    stale = session.connection().execute(delete(StaleMark).returning(StaleMark.utc_day))
    days = _local_days(_as_date(d) for d in stale.scalars())
    zone = ZoneInfo(time_zone)
    for day in days:
        _count_day(session, day, zone)
    return len(days)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
