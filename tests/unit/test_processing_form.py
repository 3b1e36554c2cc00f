"""The processing form PDF: every value present, Chinese embedded, markup kept literal."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from letters.pdf.processing_form import ProcessingFormData, render_processing_form

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def _form(**changes: object) -> ProcessingFormData:
    values: dict[str, object] = dict(
        reference="CP-2026-000042",
        received_at=datetime(2026, 11, 3, 8, 30, tzinfo=UTC),
        channel="email",
        language="zh",
        customer_name="王小明",
        customer_phone="+86 138 0013 8000",
        customer_email="wang@example.cn",
        customer_address="上海市浦东新区世纪大道100号",
        subject="电水壶漏水",
        what_happened="买了三天就漏水 <b>真的</b> & 很危险",
        demands=["退货", "赔偿"],
        order_numbers=["JD-20261101001"],
        responsibility="ours",
        department_name="质量部",
        routed_by="李四",
        routed_at=datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
        receiving_staff_opinion="请质量部尽快检测",
        handling_date=date(2026, 11, 5),
    )
    values.update(changes)
    return ProcessingFormData(**values)  # type: ignore[arg-type]


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def test_form_holds_every_value_with_the_font_embedded(tmp_path: Path) -> None:
    pdf = render_processing_form(_form())
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    text = _text(pdf, tmp_path)
    for expected in ["客户投诉处理单", "CP-2026-000042", "王小明", "+86 138 0013 8000",
                     "上海市浦东新区世纪大道100号", "JD-20261101001", "退货、赔偿", "质量部",
                     "我方责任", "2026-11-05", "请质量部尽快检测", "部门经理意见", "客户意见"]:
        assert expected in text, expected


def test_customer_markup_appears_literally(tmp_path: Path) -> None:
    text = _text(render_processing_form(_form(customer_name="<img src=x onerror=1>&amp;")),
                 tmp_path)
    assert "买了三天就漏水 <b>真的</b> & 很危险" in text
    assert "<img src=x onerror=1>&amp;" in text


def test_long_complaint_flows_onto_more_pages(tmp_path: Path) -> None:
    pdf = render_processing_form(_form(what_happened="水壶底部一直漏水。" * 600))
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    assert b"Pages:          1\n" not in info
