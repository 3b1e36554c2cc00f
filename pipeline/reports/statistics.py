"""The complaint statistics (客户投诉统计表) for a period, computed in SQL.

Every figure is an aggregate query over the period's daily figures (its cases
counted per day and kind, :mod:`pipeline.reports.days`); the two medians come from
one scan of the narrow case facts. So a yearly report over a million cases reads a
few hundred thousand small rows at most and never builds a million Python objects. The
table rows themselves are streamed from the cases (:func:`table_rows`) for the
CSV/XLSX export.

Handling methods are grouped as the statistics form does: compensation 赔偿, return
退货, discount 折价, and other 其他 (replacement, repair, apology, explanation, other).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from pipeline.db.facts import current_resolution
from pipeline.db.models import Case, CaseFacts, DailyFigures, Resolution
from pipeline.reports.days import CLOSE_LABELS, in_period, method_group, refresh_daily_figures
from pipeline.reports.periods import Period
from pipeline.reports.recurring import Cluster
from pipeline.reports.recurring_large import dense_values

TOP_PRODUCTS = 10
TEXT_SIMILARITY_MAX_CASES = 20_000
"""Above this many cases (a busy year, on PostgreSQL) recurring problems are found by
product and category only: comparing every complaint's text with every other's would
dominate the report's time, and the monthly reports have already flagged the text
clusters."""


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
    # Closed because the customer never answered the notice (counted apart from agreement).
    closed_without_reply: int = 0

    @property
    def within_deadline_share(self) -> float | None:
        if not self.closed_with_deadline:
            return None
        return self.closed_within_deadline / self.closed_with_deadline


@dataclass
class PeriodFigures:
    """Everything a report shows about a period, gathered in one go."""

    summary: Summary
    weekly: dict[str, dict[str, int]]  # Monday (local) -> department -> cases
    close_times: dict[str, int]  # bucket label -> closed cases
    # Recurring problems by product and category, when the period is too large to
    # compare texts (None: find them case by case, texts included).
    recurring: list[Cluster] | None = None


def _sum(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def _cases_and_methods(
    session: Session, period: Period
) -> tuple[int, Decimal, Decimal, dict[str, int]]:
    """Cases, total loss and compensation, and resolved cases per handling method."""
    rows = session.execute(
        select(DailyFigures.method, _sum(DailyFigures.cases), _sum(DailyFigures.loss),
               _sum(DailyFigures.compensation))
        .where(in_period(period)).group_by(DailyFigures.method)
    ).all()
    cases = sum(int(r[1]) for r in rows)
    loss = sum((Decimal(r[2]) for r in rows), Decimal(0))
    compensation = sum((Decimal(r[3]) for r in rows), Decimal(0))
    by_method = {str(r[0]): int(r[1]) for r in rows if r[0]}
    return cases, loss, compensation, dict(sorted(by_method.items()))


def _grouped(session: Session, period: Period, key: str) -> dict[str, int]:
    column = getattr(DailyFigures, key)
    rows = session.execute(
        select(column, _sum(DailyFigures.cases)).where(in_period(period)).group_by(column))
    counts = {str(k) if k not in (None, "") else "": int(n) for k, n in rows}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _breakdowns(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """Cases per department, channel, category and product (top ones only)."""
    found = {f"by_{key}": _grouped(session, period, key)
             for key in ("department", "channel", "category", "product")}
    products = {k: v for k, v in found["by_product"].items() if k}
    found["by_product"] = dict(list(products.items())[:TOP_PRODUCTS])
    return found


def _median(session: Session, column: Any, where: ColumnElement[bool]) -> float | None:
    """The median of a column over the selected facts, on a database without medians."""
    present = and_(where, column.is_not(None))
    count = session.scalar(select(func.count()).where(present)) or 0
    if not count:
        return None
    middle = select(column).where(present).order_by(column)
    picks = session.scalars(middle.limit(2 - count % 2).offset((count - 1) // 2)).all()
    return float(sum(picks) / len(picks))


def _medians(session: Session, period: Period) -> tuple[float | None, float | None]:
    """Median seconds to close and to acknowledge: one scan of the facts on PostgreSQL.

    SQLite, which has no ``percentile_cont``, runs one ordered query per median.
    """
    start, end = period.bounds()
    where = and_(CaseFacts.received_at >= start, CaseFacts.received_at < end)
    if session.get_bind().dialect.name != "postgresql":
        return (_median(session, CaseFacts.close_seconds, where),
                _median(session, CaseFacts.ack_seconds, where))
    row = session.execute(select(
        func.percentile_cont(0.5).within_group(CaseFacts.close_seconds),
        func.percentile_cont(0.5).within_group(CaseFacts.ack_seconds)).where(where)).one()
    return (None if row[0] is None else float(row[0]), None if row[1] is None else float(row[1]))


def _closing_figures(session: Session, period: Period) -> dict[str, Any]:
    """Deadline keeping, satisfaction and the two medians."""
    row = session.execute(
        select(_sum(DailyFigures.with_deadline), _sum(DailyFigures.kept), _sum(DailyFigures.scores),
               _sum(DailyFigures.score_sum), _sum(DailyFigures.closed_no_reply))
        .where(in_period(period))).one()
    close_median, ack_median = _medians(session, period)
    answers = int(row[2])
    return {
        "closed_with_deadline": int(row[0]), "closed_within_deadline": int(row[1]),
        "closed_without_reply": int(row[4]), "satisfaction_answers": answers,
        "satisfaction_average": round(int(row[3]) / answers, 2) if answers else None,
        "median_days_to_close": None if close_median is None
        else round(close_median / 86400, 2),
        "median_hours_to_acknowledge": None if ack_median is None
        else round(ack_median / 3600, 3),
    }


def _satisfaction_by_department(session: Session, period: Period) -> dict[str, float]:
    rows = session.execute(
        select(DailyFigures.department, _sum(DailyFigures.score_sum), _sum(DailyFigures.scores))
        .where(in_period(period), DailyFigures.scores > 0)
        .group_by(DailyFigures.department).order_by(DailyFigures.department))
    return {str(dept or ""): round(int(total) / int(answers), 2) for dept, total, answers in rows}


def _summary(session: Session, period: Period) -> Summary:
    cases, loss, compensation, by_method = _cases_and_methods(session, period)
    previous_cases, previous_loss, previous_compensation, _ = _cases_and_methods(
        session, period.previous())
    figures: dict[str, Any] = {
        **_breakdowns(session, period), **_closing_figures(session, period),
        "satisfaction_by_department": _satisfaction_by_department(session, period),
        "previous": {"period": period.previous().label, "cases": previous_cases,
                     "loss_total": previous_loss, "compensation_total": previous_compensation},
    }
    return Summary(period=period.label, cases=cases, by_method=by_method, loss_total=loss,
                   compensation_total=compensation, **figures)


def _close_times(session: Session, period: Period) -> dict[str, int]:
    """How many closed cases took how long, in day buckets (for the chart)."""
    row = session.execute(select(*(_sum(getattr(DailyFigures, f"closed_{index}"))
                                   for index in range(len(CLOSE_LABELS))))
                          .where(in_period(period))).one()
    return {label: int(count) for label, count in zip(CLOSE_LABELS, row, strict=True)}


def _weekly_by_department(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """Cases per week (the Monday it starts, local time) and department, for the chart."""
    if session.get_bind().dialect.name == "postgresql":
        week = func.to_char(func.date_trunc("week", DailyFigures.day), "YYYY-MM-DD")
    else:
        week = func.date(DailyFigures.day, "-6 days", "weekday 1")
    rows = session.execute(
        select(week, DailyFigures.department, _sum(DailyFigures.cases)).where(in_period(period))
        .group_by(week, DailyFigures.department).order_by(week)).all()
    weeks: dict[str, dict[str, int]] = {}
    for monday, department, count in rows:
        weeks.setdefault(str(monday), {})[department or ""] = int(count)
    return weeks


def gather(session: Session, period: Period) -> PeriodFigures:
    """The summary and chart data of the period, from its current daily figures."""
    refresh_daily_figures(session, period.time_zone)
    summary = _summary(session, period)
    large = (summary.cases > TEXT_SIMILARITY_MAX_CASES
             and session.get_bind().dialect.name == "postgresql")
    return PeriodFigures(
        summary=summary, weekly=_weekly_by_department(session, period),
        close_times=_close_times(session, period),
        recurring=[*dense_values(session, period, "product"),
                   *dense_values(session, period, "category")] if large else None,
    )


def table_rows(session: Session, period: Period, *, batch: int = 5000) -> Iterator[TableRow]:
    """The statistics table, oldest first, streamed in batches."""
    start, end = period.bounds()
    # A duplicate merged into another case is the same complaint: listed once.
    return rows_for(session, and_(Case.received_at >= start, Case.received_at < end,
                                  Case.merged_into_case_id.is_(None)), batch=batch)


def rows_for(session: Session, which: ColumnElement[bool], *,
             batch: int = 5000) -> Iterator[TableRow]:
    """Statistics-table rows for the cases ``which`` selects (a period, a search)."""
    query = (
        select(Case.received_at, Case.reference, Case.customer_name, Case.subject,
               Case.department, method_group(func.coalesce(Resolution.method, "")),
               Resolution.loss_amount, Case.product, Case.quantity)
        .select_from(Case).outerjoin(Resolution, current_resolution())
        .where(which).order_by(Case.received_at, Case.id)
        .execution_options(yield_per=batch)
    )
    for row in session.execute(query):
        yield TableRow(
            received_at=row[0], reference=row[1], customer=row[2], content=row[3],
            department=row[4] or "", method=row[5],
            loss_amount=Decimal(row[6] or 0), product=row[7], quantity=row[8],
        )
