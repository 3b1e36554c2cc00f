"""Build the period report in the format asked for: PDF, XLSX or CSV.

One entry point for the CLI (``complaints report``) and the console's reports page, so
both produce the same figures from the same queries.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from sqlalchemy import func, literal, select, text
from sqlalchemy.orm import Session

from config.departments import load_departments
from config.settings import Settings
from letters.pdf.fonts import letter_font
from letters.pdf.statistics_report import MAX_ROWS, ReportContent, render_report
from pipeline.db.models import Case
from pipeline.reports.export import (
    HEADERS,
    department_name,
    row_values,
    summary_lines,
    write_csv,
    write_xlsx,
)
from pipeline.reports.notes import notes_for
from pipeline.reports.periods import Period
from pipeline.reports.recurring import CaseSignal, Cluster, find_recurring
from pipeline.reports.statistics import (
    close_time_distribution,
    summarise,
    table_rows,
    weekly_by_department,
)

FORMATS = ("pdf", "xlsx", "csv")
RECURRING_TEXT_CHARS = 300
MAX_LARGE_CLUSTERS = 50
TEXT_SIMILARITY_MAX_CASES = 20_000
"""Above this many cases (a busy year) recurring problems are found by product and
category only: comparing every complaint's text with every other's would dominate the
report's time, and the monthly reports have already flagged the text clusters."""


class ReportError(ValueError):
    """A report that cannot be made as asked; the message is for the user."""


_DENSE_SQL = """
SELECT value, count(*) AS size, min(received_at), max(received_at),
       (array_agg(reference ORDER BY received_at))[1:20]
FROM (
  SELECT {column} AS value, received_at, reference,
         count(*) OVER (PARTITION BY {column} ORDER BY received_at
                        RANGE BETWEEN make_interval(days => :window) PRECEDING
                        AND CURRENT ROW) AS n
  FROM cases
  WHERE received_at >= :start AND received_at < :end AND {column} <> ''
) AS windows
GROUP BY value HAVING max(n) >= :min_cases
ORDER BY size DESC LIMIT :limit
"""


def _dense_values_sql(session: Session, period: Period, column: str, window_days: int = 30,
                      min_cases: int = 3) -> list[Cluster]:
    """Products or categories with ``min_cases`` cases within some window, in one query.

    For periods too large to load (PostgreSQL): a window count per value, then one row
    per flagged value with its size, dates and first references.
    """
    assert column in ("product", "category")  # a column name, never user input
    start, end = period.bounds()
    rows = session.execute(text(_DENSE_SQL.format(column=column)), {
        "window": window_days, "start": start, "end": end, "min_cases": min_cases,
        "limit": MAX_LARGE_CLUSTERS}).all()
    return [Cluster(key=f"{column}:{refs[0]}", signal=column, value=str(value),
                    references=tuple(refs), first=first.date(), last=last.date(), size=size)
            for value, size, first, last, refs in rows]


def recurring_problems(session: Session, period: Period) -> list[Cluster]:
    """Clusters of related complaints received in the period."""
    start, end = period.bounds()
    in_period = (Case.received_at >= start, Case.received_at < end)
    count = session.scalar(select(func.count()).select_from(Case).where(*in_period)) or 0
    if count > TEXT_SIMILARITY_MAX_CASES and session.get_bind().dialect.name == "postgresql":
        return [*_dense_values_sql(session, period, "product"),
                *_dense_values_sql(session, period, "category")]
    with_text = count <= TEXT_SIMILARITY_MAX_CASES
    text = (func.substr(Case.subject + " " + Case.what_happened, 1, RECURRING_TEXT_CHARS)
            if with_text else literal(""))
    rows = session.execute(
        select(Case.reference, Case.received_at, Case.product, Case.category, text)
        .where(*in_period, (Case.product != "") | (Case.category != "") | literal(with_text))
    ).all()
    signals = [CaseSignal(ref, received.date(), product, category, body or "")
               for ref, received, product, category, body in rows]
    return find_recurring(signals, text=with_text)


def _recurring_with_notes(session: Session, period: Period
                          ) -> list[tuple[str, str, int, tuple[str, ...], str]]:
    clusters = recurring_problems(session, period)
    notes = notes_for(session, (c.key for c in clusters))
    return [(c.signal, c.value, c.count, c.references,
             notes[c.key].note if c.key in notes else "") for c in clusters]


def build_report(session: Session, *, settings: Settings, period: Period, fmt: str,
                 out: Path) -> int:
    """Write the report to ``out``; returns the number of cases in the table."""
    if fmt not in FORMATS:
        raise ReportError(f"Unknown format '{fmt}': use pdf, xlsx or csv.")
    departments = load_departments(settings)
    zone = settings.time_zone
    if fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as stream:
            return write_csv(stream, table_rows(session, period), departments, zone)
    summary = summarise(session, period)
    if fmt == "xlsx":
        return write_xlsx(out, summary, table_rows(session, period), departments, zone)
    weekly = {week: {department_name(departments, d) if d else "—": n for d, n in counts.items()}
              for week, counts in weekly_by_department(session, period).items()}
    rows = [row_values(r, departments, zone)
            for r in islice(table_rows(session, period), MAX_ROWS)]
    content = ReportContent(
        title=f"客户投诉统计表 Complaint statistics {period.label}",
        company=settings.company_name, summary=summary_lines(summary, departments),
        weekly=weekly, close_times=close_time_distribution(session, period),
        top_products=summary.by_product,
        recurring=_recurring_with_notes(session, period),
        headers=HEADERS, rows=rows, more_rows=max(0, summary.cases - len(rows)),
    )
    out.write_bytes(render_report(content, font=letter_font(settings.pdf_font_path).name))
    return summary.cases
