"""The reports page and exports in the console, within each role's scope."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.console.conftest import ConsoleWorld
from tests.support.console import sign_in


def test_reports_page_and_files_for_intake_and_not_for_handlers(world: ConsoleWorld) -> None:
    intake = world.client()
    sign_in(intake, "ivy")
    page = intake.get("/reports?period=2026")
    assert page.status_code == 200 and "投诉总数 Complaints" in page.text
    assert "<td>3</td>" in page.text  # three complaints taken in by the fixture
    pdf = intake.get("/reports/file?period=2026&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="complaints-2026.pdf"'
    bad = intake.get("/reports?period=next-year")
    assert bad.status_code == 422 and "is not a period" in bad.text

    handler = world.client()
    sign_in(handler, "quinn")
    assert handler.get("/reports?period=2026").status_code == 403
    assert handler.get("/reports/file?period=2026&format=csv").status_code == 403


def test_search_export_has_every_match_and_respects_scope(world: ConsoleWorld) -> None:
    intake = world.client()
    sign_in(intake, "ivy")
    response = intake.get("/search/export?format=csv&q=水壶")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == "CP-2026-000001"
    book = load_workbook(io.BytesIO(intake.get("/search/export?format=xlsx").content))
    assert book.active is not None and book.active.max_row == 4  # header + 3 cases

    handler = world.client()
    sign_in(handler, "quinn")  # quality: no case routed to it yet
    rows = list(csv.reader(io.StringIO(
        handler.get("/search/export?format=csv").content.decode("utf-8-sig"))))
    assert len(rows) == 1


def test_a_root_cause_note_is_kept_on_the_recurring_problem(world: ConsoleWorld) -> None:
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from pipeline.db.models import Case

    with world.runtime.factory() as session, session.begin():
        for case in session.scalars(select(Case)):
            case.product = "KT-200 电水壶"
    intake = world.client()
    token = sign_in(intake, "ivy")
    page = intake.get("/reports?period=2026")
    assert "[product] KT-200 电水壶" in page.text
    intake.post("/reports/recurring-note", data={
        "csrf_token": token, "key": "product:CP-2026-000001", "period": "2026",
        "note": "密封圈供应商批次问题 <b>", "department": "quality"})
    page = intake.get("/reports?period=2026")
    assert "密封圈供应商批次问题 &lt;b&gt;" in page.text
    if shutil.which("pdftotext"):
        pdf = intake.get("/reports/file?period=2026&format=pdf").content
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "r.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                  check=True).stdout.decode()
        assert "密封圈供应商批次问题 <b>" in text
