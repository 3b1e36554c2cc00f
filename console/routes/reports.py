"""The reports page and exports: the period statistics, and any filtered list as a file."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response

from console.roles import case_scope
from console.routes.cases import search_filter
from console.web import Ctx, page
from pipeline.db.base import utcnow
from pipeline.db.models import Case
from pipeline.reports.build import FORMATS, ReportError, build_report, recurring_problems
from pipeline.reports.export import summary_lines, write_csv, write_xlsx
from pipeline.reports.notes import notes_for, save_note
from pipeline.reports.periods import PeriodError, parse_period
from pipeline.reports.statistics import gather, rows_for
from pipeline.review.search import matching_cases

MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _period_text(ctx: Ctx) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    default = datetime.now(ZoneInfo(ctx.console.settings.time_zone)).strftime("%Y-%m")
    return ctx.request.query_params.get("period", default)[:10]


@page("reports")
def reports_page(ctx: Ctx) -> Response:
    text = _period_text(ctx)
    try:
        period = parse_period(text, ctx.console.settings.time_zone)
    except PeriodError as err:
        return ctx.render("reports.html", title_key="reports", period=text, error=str(err),
                          status_code=422)
    figures = gather(ctx.db, period)
    summary, weekly = figures.summary, figures.weekly
    busiest = max((sum(w.values()) for w in weekly.values()), default=0)
    recurring = recurring_problems(ctx.db, period, figures)
    return ctx.render(
        "reports.html", title_key="reports", period=period.label,
        lines=summary_lines(summary, ctx.console.departments), weekly=weekly, busiest=busiest,
        closing=figures.close_times, products=summary.by_product,
        recurring=recurring, notes=notes_for(ctx.db, (c.key for c in recurring)),
        formats=FORMATS)


@page("reports")
def recurring_note(ctx: Ctx) -> Response:
    """Attach (or clear) the root-cause note of a recurring problem."""
    try:
        save_note(ctx.db, key=ctx.field("key"), note=ctx.field("note"),
                  department=ctx.field("department"), by=ctx.user.username, now=utcnow())
    except ValueError:
        return RedirectResponse("/reports", status_code=303)
    period = quote(ctx.field("period"), safe="")
    return RedirectResponse(f"/reports?period={period}#recurring", status_code=303)


def _download(data: bytes, filename: str, fmt: str) -> Response:
    return Response(data, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff"})


@page("reports")
def report_file(ctx: Ctx) -> Response:
    fmt = ctx.request.query_params.get("format", "pdf")
    try:
        period = parse_period(_period_text(ctx), ctx.console.settings.time_zone)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / f"report.{fmt}"
            build_report(ctx.db, settings=ctx.console.settings, period=period, fmt=fmt, out=out)
            data = out.read_bytes()
    except (PeriodError, ReportError) as err:
        return ctx.render("reports.html", title_key="reports", period="", error=str(err),
                          status_code=422)
    return _download(data, f"complaints-{period.label}.{fmt}", fmt)


@page()
def search_export(ctx: Ctx) -> Response:
    """The cases of a search, every page of them, as CSV or XLSX (only what the user sees)."""
    fmt = ctx.request.query_params.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        fmt = "csv"
    wanted = search_filter(ctx)
    ids = matching_cases(wanted, scope=case_scope(ctx.user)).with_only_columns(Case.id)
    rows = rows_for(ctx.db, Case.id.in_(ids))
    zone = ctx.console.settings.time_zone
    if fmt == "csv":
        text = io.StringIO()
        write_csv(text, rows, ctx.console.departments, zone)
        return _download(text.getvalue().encode("utf-8-sig"), "complaints.csv", fmt)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "complaints.xlsx"
        write_xlsx(out, None, rows, ctx.console.departments, zone)
        return _download(out.read_bytes(), "complaints.xlsx", fmt)
