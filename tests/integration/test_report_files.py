"""Report files from real pipeline data: PDF text, XLSX cells, CSV that Excel reads as UTF-8."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from config.settings import Settings
from pipeline.reports.build import ReportError, build_report
from pipeline.reports.periods import parse_period
from tests.integration.test_statistics import SHANGHAI, _build
from workers.app import build_runtime
from workers.runtime import Runtime

NOVEMBER = parse_period("2026-11", SHANGHAI)


@pytest.fixture
def runtime(sqlite_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(sqlite_settings)
    _build(runtime)
    yield runtime
    runtime.engine.dispose()


def _report(runtime: Runtime, fmt: str, out: Path) -> int:
    with runtime.factory() as session:
        return build_report(session, settings=runtime.settings, period=NOVEMBER, fmt=fmt, out=out)


def test_csv_opens_with_chinese_intact(runtime: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert _report(runtime, "csv", out) == 6
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][0] == "日期 Date" and len(rows) == 7
    assert rows[1][:2] == ["2026-11-02", rows[1][1]] and rows[1][1].startswith("CP-")
    assert rows[1][4] == "质量管理部 Quality management"
    assert rows[1][5] == "赔偿 Compensation" and rows[1][6] == "300.0"
    assert rows[1][7] == "KT-200 电水壶"


def test_xlsx_cells(runtime: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    _report(runtime, "xlsx", out)
    book = load_workbook(out, read_only=True)
    table = list(book["统计表 Table"].iter_rows(values_only=True))
    summary = dict(book["汇总 Summary"].iter_rows(values_only=True))
    assert len(table) == 7 and table[1][6] == 300
    assert summary["投诉总数 Complaints"] == "6"
    assert summary["损失金额合计 Total loss (CNY)"] == "480.00"
    assert summary["赔偿金额合计 Total compensation (CNY)"] == "830.00"
    assert summary["较上期 Change against 2026-10"] == "+4"
    assert summary["处理方式 Handling method: 赔偿 Compensation"] == "1"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_has_summary_charts_and_table(runtime: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    _report(runtime, "pdf", out)
    pdf = out.read_bytes()
    assert b"/FontFile2" in pdf
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          check=True).stdout.decode()
    for expected in ("客户投诉统计表", "2026-11", "480.00", "830.00",
                     "每周投诉（按部门）", "结案用时", "KT-200 电水壶", "质量管理部"):
        assert expected in text, expected


def test_unknown_format_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="use pdf, xlsx or csv"):
        _report(runtime, "doc", tmp_path / "r.doc")
