"""The letter font: embedded CJK TrueType when found, a logged fallback otherwise."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from letters.pdf import fonts


def _draw(font_name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(font_name, 12)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


def test_finds_and_embeds_a_truetype_cjk_font() -> None:
    if not any(Path(c).is_file() for c in fonts.CANDIDATES):
        pytest.skip("no CJK TrueType font installed (fonts-wqy-zenhei)")
    font = fonts.letter_font()
    assert font.embedded and font.name == fonts.FONT_NAME
    pdf = _draw(font.name, "客户投诉 Complaint")
    assert b"/FontFile2" in pdf


def test_unusable_configured_font_falls_back_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bogus = tmp_path / "broken.ttf"
    bogus.write_bytes(b"not a font")
    monkeypatch.setattr(fonts, "CANDIDATES", ())
    with caplog.at_level(logging.WARNING):
        font = fonts.letter_font(str(bogus))
    assert font == fonts.LetterFont(name=fonts.FALLBACK_FONT, embedded=False, path=None)
    assert "No CJK TrueType font found" in caplog.text
    assert _draw(font.name, "投诉").startswith(b"%PDF")
