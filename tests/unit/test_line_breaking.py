"""Chinese line breaking in every PDF: no line starts with a closer or ends with an opener."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from letters.pdf.fonts import letter_font
from letters.pdf.linebreak import CLOSING, OPENING, KinsokuParagraph, break_position
from letters.pdf.previews import PREVIEWS
from tests.support.fonts import fonts_for_tests
from tests.support.pdflines import pdf_lines

RULE_CLOSING = "，。、；：？！）」』】,.;:?!)"
RULE_OPENING = "（「『【("


def broken(lines: list[str]) -> list[str]:
    return [line for line in lines
            if line and (line[0] in RULE_CLOSING or line[-1] in RULE_OPENING)]


def test_the_rule_sets_cover_what_the_issue_names() -> None:
    assert set(RULE_CLOSING) <= CLOSING and set(RULE_OPENING) <= OPENING


def test_break_moves_back_past_closers_and_openers() -> None:
    chars = list("一二三四五，六七八")
    assert break_position(chars, 0, 5) == 4  # "，" would start the line: take "五" along
    chars = list("一二三（四五六")
    assert break_position(chars, 0, 4) == 3  # "（" would end the line: carry it down
    chars = list("一。」』六")
    assert break_position(chars, 0, 2) == 1  # never back to the line start: progress
    words = list("abcd efgh")
    assert break_position(words, 0, 7) == 5  # Latin: break after the space, word whole


def _lines(paragraph: Paragraph, width: float) -> list[str]:
    paragraph.wrap(width, 1000)
    return ["".join(w.text for w in line.words) for line in paragraph.blPara.lines]


def test_kinsoku_paragraph_fixes_what_reportlab_breaks() -> None:
    font = letter_font(fonts_for_tests()).name
    style = ParagraphStyle("t", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    text = "如有疑问请再联系我们，我们会再次核实。"  # the line the issue saw start with "，"
    width = 10 * 10.2  # ten characters fit
    assert broken(_lines(Paragraph(text + "<br/>" + text, style), width))  # reportlab alone
    lines = _lines(KinsokuParagraph(text + "<br/>" + text, style), width)
    assert not broken(lines) and "".join(lines) == text * 2


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(PREVIEWS))
def test_every_pdf_kind_keeps_the_line_breaking_rule(
    kind: str, language: str, tmp_path: Path
) -> None:
    pdf = PREVIEWS[kind].render(language, fonts_for_tests())
    lines = pdf_lines(pdf, tmp_path)
    assert len(lines) > 10
    assert broken(lines) == []
    if language == "zh":
        assert any("，" in line for line in lines)  # real Chinese text, wrapped, was checked
