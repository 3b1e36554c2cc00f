"""OCR on generated, mildly degraded scans: characters and phone numbers against the truth.

OCR costs ~2 s a page, so this module reads few pages; the engine is built once per
process and shared.
"""

from __future__ import annotations

import pytest
from PIL import Image

from pipeline.scans.document import ScanFile, read_document
from pipeline.scans.fields import extract_letter_fields
from pipeline.scans.ocr import ocr_page
from tests.support.scans import (
    EN_NO_EMAIL,
    ZH_NO_EMAIL,
    LetterTruth,
    degrade,
    render_page,
    scanned_jpeg,
    to_image_pdf,
)
from tests.support.textmetrics import char_error_rate

pytestmark = pytest.mark.slow


def test_chinese_jpeg_reads_nearly_exactly_and_finds_the_phone() -> None:
    document = read_document(
        [ScanFile("zh.jpg", "image/jpeg", scanned_jpeg(ZH_NO_EMAIL))], page_seconds=60
    )
    assert char_error_rate(ZH_NO_EMAIL.text, document.text) <= 0.02
    _assert_fields(ZH_NO_EMAIL, document.text, document.confidence)


def test_english_image_only_pdf_turned_sideways_is_turned_back() -> None:
    page = degrade(render_page(EN_NO_EMAIL.text)).rotate(90, expand=True, fillcolor=255)
    document = read_document([ScanFile("en.pdf", "application/pdf", to_image_pdf([page]))])
    assert document.pages[0].angle in (90, 270)
    assert char_error_rate(EN_NO_EMAIL.text, document.text) <= 0.03
    _assert_fields(EN_NO_EMAIL, document.text, document.confidence)


def test_a_blank_page_reads_as_nothing_without_error() -> None:
    result = ocr_page(Image.new("L", (600, 800), 255), time_limit=5)
    assert result.text == "" and result.confidence == 0.0


def _assert_fields(letter: LetterTruth, text: str, confidence: float) -> None:
    fields = extract_letter_fields(text, ocr_confidence=confidence)
    assert fields.phone.value == letter.phone
    assert fields.name.value == letter.name
    assert fields.orders == letter.orders
    assert fields.demands == letter.demands
