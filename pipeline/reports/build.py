"""Build the period report in the format asked for: PDF, XLSX or CSV.

One entry point for the CLI (``complaints report``) and the console's reports page, so
both produce the same figures from the same queries.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from config.departments import load_departments
from config.settings import Settings
from letters.pdf.fonts import settings_font
from letters.pdf.statistics_report import MAX_ROWS, ReportContent, render_report
from pipeline.db.models import Case
from pipeline.reports.export import (
    HEADERS,
    department_name,
    plain_values,
    summary_lines,
    write_csv,
    write_xlsx,
)
from pipeline.reports.notes import notes_for
from pipeline.reports.periods import Period
from pipeline.reports.recurring import CaseSignal, Cluster, find_recurring
from pipeline.reports.statistics import (
    TEXT_SIMILARITY_MAX_CASES,
    PeriodFigures,
    gather,
    table_rows,
)

FORMATS = ("pdf", "xlsx", "csv")
RECURRING_TEXT_CHARS = 300


class ReportError(ValueError):
    """A report that cannot be made as asked; the message is for the user."""


def recurring_problems(session: Session, period: Period, figures: PeriodFigures) -> list[Cluster]:
    """Clusters of related complaints received in the period.

    Large periods on PostgreSQL come found in SQL with the figures; otherwise the
    cases are compared here, by text too unless there are too many for that.
    """
    if figures.recurring is not None:
        return figures.recurring
    start, end = period.bounds()
    with_text = figures.summary.cases <= TEXT_SIMILARITY_MAX_CASES
    text = (func.substr(Case.subject + " " + Case.what_happened, 1, RECURRING_TEXT_CHARS)
            if with_text else literal(""))
    rows = session.execute(
        select(Case.reference, Case.received_at, Case.product, Case.category, text)
        .where(Case.received_at >= start, Case.received_at < end,
               Case.merged_into_case_id.is_(None),  # a merged duplicate is no recurrence
               (Case.product != "") | (Case.category != "") | literal(with_text))
    ).all()
    signals = [CaseSignal(ref, received.date(), product, category, body or "")
               for ref, received, product, category, body in rows]
    return find_recurring(signals, text=with_text)


def _recurring_with_notes(session: Session, period: Period, figures: PeriodFigures
                          ) -> list[tuple[str, str, int, tuple[str, ...], str]]:
    clusters = recurring_problems(session, period, figures)
    notes = notes_for(session, (c.key for c in clusters))
    return [(c.signal, c.value, c.count, c.references,
             notes[c.key].note if c.key in notes else "") for c in clusters]


def build_report(session: Session, *, settings: Settings, period: Period, fmt: str,
                 out: Path) -> int:
    """Write the report to ``out``; returns the number of cases in the table."""
    if fmt not in FORMATS:
        raise ReportError(f"Unknown format '{fmt}': use pdf, xlsx or csv. "
                          "/ 格式须为 pdf、xlsx 或 csv。")
    departments = load_departments(settings)
    zone = settings.time_zone
    if fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as stream:
            return write_csv(stream, table_rows(session, period), departments, zone)
    figures = gather(session, period)
    summary = figures.summary
    if fmt == "xlsx":
        return write_xlsx(out, summary, table_rows(session, period), departments, zone)
    weekly = {week: {department_name(departments, d) if d else "—": n for d, n in counts.items()}
              for week, counts in figures.weekly.items()}
    rows = [plain_values(r, departments, zone)
            for r in islice(table_rows(session, period), MAX_ROWS)]
    content = ReportContent(
        title=f"客户投诉统计表 Complaint statistics {period.label}",
        company=settings.company_name, summary=summary_lines(summary, departments),
        weekly=weekly, close_times=figures.close_times, top_products=summary.by_product,
        recurring=_recurring_with_notes(session, period, figures),
        headers=HEADERS, rows=rows, more_rows=max(0, summary.cases - len(rows)),
    )
    out.write_bytes(render_report(content, font=settings_font(settings).name))
    return summary.cases
