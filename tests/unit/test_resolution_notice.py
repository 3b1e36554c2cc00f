"""The written-resolution notice PDF: every point and answer exactly, font embedded."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from letters.pdf.fonts import letter_font
from letters.pdf.layout import LetterFrame
from letters.pdf.resolution_notice import ResolutionNotice, render_resolution_notice
from letters.pdf.samples import SAMPLE_NOTICE_EN, SAMPLE_NOTICE_ZH, SAMPLE_SENDER

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

SENDER, ZH, EN = SAMPLE_SENDER, SAMPLE_NOTICE_ZH, SAMPLE_NOTICE_EN


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.mark.parametrize("notice", [ZH, EN], ids=["zh", "en"])
def test_every_point_and_answer_appears_exactly(notice: ResolutionNotice, tmp_path: Path) -> None:
    pdf = render_resolution_notice(notice, font=letter_font().name)
    assert b"/FontFile2" in pdf  # the CJK font travels with the letter
    text = _text(pdf, tmp_path)
    for point, answer in notice.answers:
        assert point in text and answer in text
    for value in (notice.reference, notice.findings, notice.next_steps, *notice.recipient_lines):
        assert value in text


def test_chinese_notice_wording(tmp_path: Path) -> None:
    text = _text(render_resolution_notice(ZH, font=letter_font().name), tmp_path)
    assert "尊敬的王小明：" in text and "处理方式：换货" in text
    assert "赔偿金额：人民币 50.00 元" in text and "回复本邮件“同意”" in text


def test_customer_markup_is_printed_literally(tmp_path: Path) -> None:
    hostile = replace(EN, customer_name="<b>Jane & Co</b>",
                      answers=[("a <b and c", "<img src=\"/etc/passwd\"/> & more")])
    text = _text(render_resolution_notice(hostile, font=letter_font().name), tmp_path)
    assert "Dear <b>Jane & Co</b>," in text
    assert "a <b and c" in text and '<img src="/etc/passwd"/> & more' in text


def test_many_points_flow_onto_later_pages(tmp_path: Path) -> None:
    long = replace(EN, answers=[(f"Point {i} " + "words " * 30, f"Answer {i} " + "text " * 30)
                                for i in range(40)])
    pdf = render_resolution_notice(long, font=letter_font().name)
    text = _text(pdf, tmp_path)
    assert "page 3" in text and "Answer 39" in text


def test_a_print_batch_gives_each_letter_its_own_first_page(tmp_path: Path) -> None:
    from letters.pdf.layout import render_letters
    from letters.pdf.resolution_notice import WORDS, _story

    font = letter_font().name
    frames = []
    for notice in (ZH, EN):
        words = WORDS[notice.language]
        frame = LetterFrame(sender=SENDER, recipient_lines=notice.recipient_lines,
                            reference_label="Ref", reference=notice.reference,
                            date_label="Date", date=notice.issued, title="batch",
                            footer=notice.reference + " {page}")
        frames.append((frame, _story(notice, words, font)))
    path = tmp_path / "batch.pdf"
    path.write_bytes(render_letters(frames, font=font))
    pages = []
    for number in (1, 2):
        out = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
                             capture_output=True, check=True)
        pages.append(out.stdout.decode())
    assert "上海市浦东新区世纪大道100号" in pages[0] and "10 Downing Street" not in pages[0]
    assert "10 Downing Street" in pages[1] and "Dear Jane Smith," in pages[1]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
def test_the_rendered_page_looks_like_a_letter(tmp_path: Path) -> None:
    """Rendered to an image: A4 proportions, a letterhead band, an address in the window."""
    from PIL import Image

    path = tmp_path / "notice.pdf"
    path.write_bytes(render_resolution_notice(ZH, font=letter_font().name))
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = page.size
    assert abs(height / width - 297 / 210) < 0.02

    def ink(left_mm: float, top_mm: float, right_mm: float, bottom_mm: float) -> int:
        box = tuple(round(v / 210 * width) for v in (left_mm, top_mm, right_mm, bottom_mm))
        return sum(page.crop(box).histogram()[:128])  # pixels darker than mid-grey

    assert ink(20, 10, 190, 30) > 0  # letterhead
    assert ink(20, 55, 105, 90) > 0  # recipient in the DIN 5008 window
    assert ink(20, 100, 190, 250) > ink(20, 55, 105, 90)  # the body below it
