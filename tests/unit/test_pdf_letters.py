"""Printed letters: Chinese text really in the PDF, the font embedded, customer text literal."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from letters.pdf.acknowledgment import PostalAck, acknowledgment_content, recipient_lines
from letters.pdf.kinds import KINDS
from letters.pdf.letter import render_letters


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, text=True, check=True
    ).stdout


def ack(language: str, name: str, address: str, phone: str = "") -> PostalAck:
    return PostalAck(
        reference="CP-2026-000042",
        language=language,
        customer_name=name,
        address=address,
        letter_date="2026-11-20",
        received_at=datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
        phone_on_file=phone,
        review_days=2,
        company_name="Example Co. 示例公司",
        company_address="上海市浦东新区世纪大道1号",
        service_phone="400-000-0000",
        time_zone="Asia/Shanghai",
    )


def test_chinese_acknowledgment_text_and_embedded_font(tmp_path: Path) -> None:
    content = acknowledgment_content(ack("zh", "王建国", "浙江省杭州市西湖区文三路88号"))
    pdf = render_letters([content])
    assert b"/FontFile2" in pdf
    text = pdftotext(pdf, tmp_path)
    for expected in ("我们已收到您的来信", "尊敬的王建国", "CP-2026-000042", "请致电", "王建国"):
        assert expected in text
    assert "2026年11月22日" in text  # received date in the customer's time zone


def test_english_acknowledgment_asks_for_a_phone_or_confirms_it(tmp_path: Path) -> None:
    letter = acknowledgment_content(ack("en", "Mary", "1 Road"))
    asking = pdftotext(render_letters([letter]), tmp_path)
    assert "does not give a phone number" in asking and "400-000-0000" in asking
    confirming = pdftotext(
        render_letters([acknowledgment_content(ack("en", "Mary", "1 Road", "+8613912345678"))]),
        tmp_path,
    )
    assert "139 1234 5678" in confirming


def test_customer_markup_appears_literally(tmp_path: Path) -> None:
    content = acknowledgment_content(ack("en", "Mary <b>Jones</b> & Co", "<i>12</i> Road & Lane"))
    text = pdftotext(render_letters([content]), tmp_path)
    assert "Mary <b>Jones</b> & Co" in text
    assert "<i>12</i> Road & Lane" in text


def test_recipient_block_splits_long_chinese_addresses() -> None:
    lines = recipient_lines("王建国", "浙江省杭州市西湖区文三路88号3单元502室某某小区某某栋某某号")
    assert lines[0] == "王建国" and all(len(line) <= 24 for line in lines)
    assert recipient_lines("Mary", "12 Garden Road, Flat 4, Hong Kong") == (
        "Mary",
        "12 Garden Road",
        "Flat 4",
        "Hong Kong",
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_kind_previews_in_both_languages(kind: str, language: str, tmp_path: Path) -> None:
    text = pdftotext(render_letters([KINDS[kind].sample(language)]), tmp_path)
    assert "CP-2026-000123" in text
    assert ("案件编号" in text) == (language == "zh")


def test_printed_acknowledgment_repeats_the_phone_as_the_letter_wrote_it() -> None:
    from dataclasses import replace

    from letters.pdf.acknowledgment import acknowledgment_content

    letter = replace(
        ack("en", "James Carter", "14 Oxford Road, Manchester M1 5QA", "+447700900461"),
        phone_written="07700 900461",
    )
    text = " ".join(acknowledgment_content(letter).paragraphs)
    assert "07700 900461" in text and "+44 7700 900461" not in text
