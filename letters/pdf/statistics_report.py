"""The statistics report (客户投诉统计表) as a PDF: summary, charts, the table.

Charts are drawn with reportlab's own graphics (no image files, so they are sharp at
any zoom and carry the embedded CJK font): cases per week by department, the time
cases took to close, and the products complained about most. The table lists at most
``MAX_ROWS`` cases; a longer period says so and points to the CSV/XLSX export.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from letters.pdf.linebreak import KinsokuParagraph

MAX_ROWS = 500
MAX_CLUSTERS = 50
PALETTE = [colors.HexColor(c) for c in ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f")]


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, already labelled."""

    title: str
    company: str
    summary: Sequence[tuple[str, str]]
    weekly: Mapping[str, Mapping[str, int]]  # week -> department label -> cases
    close_times: Mapping[str, int]
    top_products: Mapping[str, int]
    recurring: Sequence[tuple[str, str, int, Sequence[str], str]]  # signal, value, size, refs,
    # and the root-cause note staff wrote ("" if none)
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    more_rows: int  # rows left out of the PDF


def _chart_title(drawing: Drawing, text: str, font: str) -> None:
    drawing.add(String(0, drawing.height - 12, text, fontName=font, fontSize=10))


def weekly_chart(weekly: Mapping[str, Mapping[str, int]], font: str) -> Drawing:
    drawing = Drawing(250 * mm, 75 * mm)
    _chart_title(drawing, "每周投诉（按部门）Complaints per week by department", font)
    departments = sorted({d for week in weekly.values() for d in week})
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 12 * mm, 170 * mm, 50 * mm
    chart.data = [[weekly[w].get(d, 0) for w in weekly] for d in departments] or [[0]]
    chart.categoryAxis.categoryNames = [w[5:] for w in weekly] or [""]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    for index in range(len(departments)):
        chart.bars[index].fillColor = PALETTE[index % len(PALETTE)]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 192 * mm, 60 * mm
    legend.fontName, legend.fontSize = font, 8
    legend.alignment = "right"  # swatch first, then the name
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], d or "—") for i, d in
                             enumerate(departments)]
    drawing.add(legend)
    return drawing


def _simple_bars(title: str, values: Mapping[str, int], font: str, *, horizontal: bool) -> Drawing:
    drawing = Drawing(120 * mm, 70 * mm)
    _chart_title(drawing, title, font)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x, chart.y = (45 * mm, 8 * mm) if horizontal else (12 * mm, 12 * mm)
    chart.width, chart.height = (70 * mm, 52 * mm) if horizontal else (100 * mm, 48 * mm)
    chart.data = [list(values.values()) or [0]]
    chart.categoryAxis.categoryNames = [k[:18] for k in values] or [""]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = PALETTE[0]
    drawing.add(chart)
    return drawing


def _cell(value: object, style: ParagraphStyle) -> KinsokuParagraph:
    return KinsokuParagraph(escape(str(value)).replace("\n", " "), style)


def render_report(content: ReportContent, *, font: str) -> bytes:
    """Draw the report on landscape A4 pages."""
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22)
    heading = ParagraphStyle("heading", parent=body, fontSize=11, leading=16, spaceBefore=8)
    story: list[Flowable] = [
        KinsokuParagraph(escape(content.company), body),
        KinsokuParagraph(escape(content.title), title), Spacer(1, 4 * mm),
        Table([[_cell(k, body), _cell(v, body)] for k, v in content.summary],
              colWidths=[110 * mm, 60 * mm],
              style=TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)])),
        PageBreak(), weekly_chart(content.weekly, font),
        Table([[_simple_bars("结案用时（天）Days to close", content.close_times, font,
                             horizontal=False),
                _simple_bars("投诉最多的产品 Top products", content.top_products, font,
                             horizontal=True)]]),
    ]
    if content.recurring:
        story.append(KinsokuParagraph("重复出现的问题 Recurring problems", heading))
        for signal, value, size, references, note in content.recurring[:MAX_CLUSTERS]:
            listed = ", ".join(references[:20])
            lines = [KinsokuParagraph(escape(f"[{signal}] {value}: {size} — {listed}"), body)]
            if note:
                lines.append(KinsokuParagraph(escape(f"根本原因 Root cause: {note}"), small))
            story.append(KeepTogether(lines))
    story += [PageBreak(), KinsokuParagraph("客户投诉统计表 Complaint statistics table", heading)]
    widths = [20, 30, 30, 70, 30, 28, 20, 30, 14]
    table_data = [[_cell(h, small) for h in content.headers]]
    table_data += [[_cell(v, small) for v in row] for row in content.rows]
    story.append(Table(table_data, colWidths=[w * mm for w in widths], repeatRows=1,
                       style=TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                         ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                         ("VALIGN", (0, 0), (-1, -1), "TOP")])))
    if content.more_rows:
        story.append(KinsokuParagraph(escape(
            f"另有 {content.more_rows} 条未列出，请使用 CSV/XLSX 导出。"
            f" {content.more_rows} more cases are in the CSV/XLSX export."), body))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                      topMargin=12 * mm, bottomMargin=12 * mm, title=content.title).build(story)
    return buffer.getvalue()
