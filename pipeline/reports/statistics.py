"""The complaint statistics (客户投诉统计表) for a period, computed in SQL.

Every figure is one aggregate query (GROUP BY, SUM, COUNT, a median) over the cases
received in the period, so a yearly report over a million cases costs a handful of
index scans, not a million Python objects. The table rows themselves are streamed
(:func:`table_rows`) for the CSV/XLSX export.

Handling methods are grouped as the statistics form does: compensation 赔偿, return
退货, discount 折价, and other 其他 (replacement, repair, apology, explanation, other).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, exists, func, select, tuple_
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from pipeline.db.models import Case, CaseDeadline, FollowUp, OutboundMail, Resolution
from pipeline.reports.periods import Period

METHOD_GROUPS = ("compensation", "return", "discount")
"""Methods counted on their own; every other method counts as "other"."""

TOP_PRODUCTS = 10


@dataclass(frozen=True)
class TableRow:
    """One line of the statistics table."""

    received_at: datetime
    reference: str
    customer: str
    content: str
    department: str
    method: str
    loss_amount: Decimal
    product: str
    quantity: int | None


@dataclass
class Summary:
    """The figures under the table."""

    period: str
    cases: int
    by_department: dict[str, int]
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_product: dict[str, int]
    by_method: dict[str, int]
    loss_total: Decimal
    compensation_total: Decimal
    closed_with_deadline: int
    closed_within_deadline: int
    median_hours_to_acknowledge: float | None
    median_days_to_close: float | None
    satisfaction_answers: int
    satisfaction_average: float | None
    satisfaction_by_department: dict[str, float]
    previous: dict[str, Any] = field(default_factory=dict)

    @property
    def within_deadline_share(self) -> float | None:
        if not self.closed_with_deadline:
            return None
        return self.closed_within_deadline / self.closed_with_deadline


def _in_period(period: Period) -> ColumnElement[bool]:
    start, end = period.bounds()
    return and_(Case.received_at >= start, Case.received_at < end)


def _latest_approved() -> Any:
    """The join condition from a case to its current approved resolution.

    A reopened case can have two approved versions; only the newest counts. Written as
    a join with an anti-join (not a GROUP BY over all resolutions) so the database
    joins only the period's cases, with the ``resolutions.case_id`` index.
    """
    newer = aliased(Resolution)
    return and_(
        Resolution.case_id == Case.id, Resolution.status == "approved",
        ~exists().where(newer.case_id == Resolution.case_id, newer.status == "approved",
                        newer.version > Resolution.version),
    )


def _method_group(method: Any) -> ColumnElement[str]:
    return case(*[(method == m, m) for m in METHOD_GROUPS], else_="other")


def _seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)


def _median(session: Session, values: Select[Any]) -> float | None:
    """The median of a one-column query, in SQL on both databases."""
    sub = values.subquery()
    column = sub.c[0]
    if session.get_bind().dialect.name == "postgresql":
        result = session.scalar(select(func.percentile_cont(0.5).within_group(column)))
        return None if result is None else float(result)
    count = session.scalar(select(func.count()).select_from(sub).where(column.is_not(None))) or 0
    if not count:
        return None
    middle = select(column).where(column.is_not(None)).order_by(column)
    picks = session.scalars(middle.limit(2 - count % 2).offset((count - 1) // 2)).all()
    return float(sum(picks) / len(picks))


def _grouped(session: Session, key: Any, where: ColumnElement[bool], *,
             limit: int | None = None) -> dict[str, int]:
    query = (select(key.label("k"), func.count().label("n")).where(where)
             .group_by(key).order_by(func.count().desc(), key))
    if limit:
        query = query.limit(limit)
    return {str(k) if k not in (None, "") else "": int(n) for k, n in session.execute(query)}


def _cases_and_methods(
    session: Session, period: Period
) -> tuple[int, Decimal, Decimal, dict[str, int]]:
    """Cases, total loss and compensation, and cases per handling method, in one scan."""
    method = _method_group(Resolution.method)
    rows = session.execute(
        select(method, func.count(Case.id), func.coalesce(func.sum(Resolution.loss_amount), 0),
               func.coalesce(func.sum(Resolution.compensation_amount), 0),
               func.count(Resolution.id))
        .select_from(Case).outerjoin(Resolution, _latest_approved())
        .where(_in_period(period)).group_by(method)
    ).all()
    cases = sum(int(r[1]) for r in rows)
    loss = sum((Decimal(r[2]) for r in rows), Decimal(0))
    compensation = sum((Decimal(r[3]) for r in rows), Decimal(0))
    by_method = {str(r[0]): int(r[4]) for r in rows if int(r[4])}
    return cases, loss, compensation, dict(sorted(by_method.items()))


def _closing_figures(session: Session, where: ColumnElement[bool]) -> dict[str, Any]:
    """Deadline keeping, satisfaction and the two medians, from one joined scan.

    Each case has at most one deadline, one follow-up and one acknowledgment, so the
    outer joins keep one row per case and FILTER clauses count each figure. PostgreSQL
    computes the medians in the same pass; SQLite, which has no ``percentile_cont``,
    runs one ordered query per median.
    """
    ack = aliased(OutboundMail)
    close_seconds = _seconds_between(session, Case.closed_at, Case.received_at)
    ack_seconds = _seconds_between(session, ack.sent_at, Case.received_at)
    postgres = session.get_bind().dialect.name == "postgresql"
    figures = [
        func.count().filter(and_(Case.closed_at.is_not(None), CaseDeadline.case_id.is_not(None))),
        func.count().filter(Case.closed_at <= CaseDeadline.due_at),
        func.count(FollowUp.score), func.avg(FollowUp.score),
    ]
    if postgres:
        figures += [func.percentile_cont(0.5).within_group(close_seconds),
                    func.percentile_cont(0.5).within_group(ack_seconds)]
    row = session.execute(
        select(*figures).select_from(Case)
        .outerjoin(CaseDeadline, CaseDeadline.case_id == Case.id)
        .outerjoin(FollowUp, FollowUp.case_id == Case.id)
        .outerjoin(ack, and_(ack.case_id == Case.id, ack.kind == "acknowledgment",
                             ack.sent_at.is_not(None)))
        .where(where)).one()
    if postgres:
        close_median, ack_median = row[4], row[5]
    else:
        close_median = _median(session, select(close_seconds).where(where,
                                                                   Case.closed_at.is_not(None)))
        ack_median = _median(session, select(ack_seconds).select_from(Case).join(ack, and_(
            ack.case_id == Case.id, ack.kind == "acknowledgment", ack.sent_at.is_not(None)))
            .where(where))
    return {
        "closed_with_deadline": int(row[0]), "closed_within_deadline": int(row[1]),
        "satisfaction_answers": int(row[2]),
        "satisfaction_average": None if row[3] is None else round(float(row[3]), 2),
        "median_days_to_close": None if close_median is None
        else round(float(close_median) / 86400, 2),
        "median_hours_to_acknowledge": None if ack_median is None
        else round(float(ack_median) / 3600, 3),
    }


BREAKDOWNS = {"by_department": Case.department, "by_channel": Case.channel,
              "by_category": Case.category, "by_product": Case.product}


def _breakdowns(session: Session, where: ColumnElement[bool]) -> dict[str, dict[str, int]]:
    """Cases per department, channel, category and product (top ones only).

    On PostgreSQL one scan with GROUPING SETS gives all four; SQLite runs four GROUP BYs.
    """
    if session.get_bind().dialect.name != "postgresql":
        found = {name: _grouped(session, column, where) for name, column in BREAKDOWNS.items()}
    else:
        columns = list(BREAKDOWNS.values())
        flags = [func.grouping(c) for c in columns]
        rows = session.execute(
            select(*columns, *flags, func.count()).where(where)
            .group_by(func.grouping_sets(*[tuple_(c) for c in columns]))).all()
        found = {name: {} for name in BREAKDOWNS}
        for row in rows:
            values: tuple[Any, ...] = tuple(row)
            for index, name in enumerate(BREAKDOWNS):
                if values[len(columns) + index] == 0:  # this row groups by that column
                    value = values[index]
                    found[name][str(value) if value not in (None, "") else ""] = int(values[-1])
        found = {name: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
                 for name, counts in found.items()}
    products = {k: v for k, v in found["by_product"].items() if k}
    found["by_product"] = dict(list(products.items())[:TOP_PRODUCTS])
    return found


def _satisfaction_by_department(session: Session, where: ColumnElement[bool]) -> dict[str, float]:
    return {
        str(dept or ""): round(float(avg), 2) for dept, avg in session.execute(
            select(Case.department, func.avg(FollowUp.score)).select_from(Case)
            .join(FollowUp, FollowUp.case_id == Case.id)
            .where(where, FollowUp.score.is_not(None))
            .group_by(Case.department).order_by(Case.department))
    }


def summarise(session: Session, period: Period) -> Summary:
    """All summary figures for the period, and the previous period's main ones."""
    where = _in_period(period)
    cases, loss, compensation, by_method = _cases_and_methods(session, period)
    previous_cases, previous_loss, previous_compensation, _ = _cases_and_methods(
        session, period.previous())
    figures: dict[str, Any] = {
        **_breakdowns(session, where), **_closing_figures(session, where),
        "satisfaction_by_department": _satisfaction_by_department(session, where),
        "previous": {"period": period.previous().label, "cases": previous_cases,
                     "loss_total": previous_loss, "compensation_total": previous_compensation},
    }
    return Summary(period=period.label, cases=cases, by_method=by_method, loss_total=loss,
                   compensation_total=compensation, **figures)


def table_rows(session: Session, period: Period, *, batch: int = 5000) -> Iterator[TableRow]:
    """The statistics table, oldest first, streamed in batches."""
    return rows_for(session, _in_period(period), batch=batch)


def rows_for(session: Session, which: ColumnElement[bool], *,
             batch: int = 5000) -> Iterator[TableRow]:
    """Statistics-table rows for the cases ``which`` selects (a period, a search)."""
    query = (
        select(Case.received_at, Case.reference, Case.customer_name, Case.subject,
               Case.department, _method_group(Resolution.method), Resolution.loss_amount,
               Case.product, Case.quantity, Resolution.method)
        .select_from(Case).outerjoin(Resolution, _latest_approved())
        .where(which).order_by(Case.received_at, Case.id)
        .execution_options(yield_per=batch)
    )
    for row in session.execute(query):
        yield TableRow(
            received_at=row[0], reference=row[1], customer=row[2], content=row[3],
            department=row[4] or "", method=row[5] if row[9] else "",
            loss_amount=Decimal(row[6] or 0), product=row[7], quantity=row[8],
        )


CLOSE_BUCKETS = ((1, "≤1"), (3, "1–3"), (7, "3–7"), (14, "7–14"), (30, "14–30"))
"""Upper bounds in days of the time-to-close distribution; the last bucket is >30."""


def close_time_distribution(session: Session, period: Period) -> dict[str, int]:
    """How many closed cases took how long, in day buckets (for the chart)."""
    seconds = _seconds_between(session, Case.closed_at, Case.received_at)
    bucket = case(*[(seconds <= days * 86400, label) for days, label in CLOSE_BUCKETS],
                  else_=">30")
    counts: dict[str, int] = dict(session.execute(  # type: ignore[arg-type]
        select(bucket, func.count()).where(_in_period(period), Case.closed_at.is_not(None))
        .group_by(bucket)).all())
    labels = [label for _, label in CLOSE_BUCKETS] + [">30"]
    return {label: int(counts.get(label, 0)) for label in labels}


def weekly_by_department(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """Cases per week (the Monday it starts, local time) and department, for the chart."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone(period.time_zone, Case.received_at)
        week = func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    else:
        # SQLite has no time zones: shift by the zone's offset at the period's start.
        start, _ = period.bounds()
        offset = start.astimezone(ZoneInfo(period.time_zone)).utcoffset() or timedelta(0)
        shifted = func.datetime(Case.received_at, f"{int(offset.total_seconds())} seconds")
        week = func.date(shifted, "-6 days", "weekday 1")
    rows = session.execute(
        select(week, Case.department, func.count()).where(_in_period(period))
        .group_by(week, Case.department).order_by(week)).all()
    weeks: dict[str, dict[str, int]] = {}
    for monday, department, count in rows:
        weeks.setdefault(str(monday), {})[department or ""] = int(count)
    return weeks
