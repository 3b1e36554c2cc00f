"""Chinese line breaking (禁则): no line starts with closing punctuation or ends with opening.

reportlab's ``wordWrap="CJK"`` cuts between any two characters and only lets a few
Japanese closers (。、」) hang into the margin: a full-width comma ， or colon ：
still starts a line, and an opening bracket （ can end one. A printed letter whose line
begins "，我们会再次核实。" looks broken to a Chinese reader. :class:`KinsokuParagraph`
wraps the same way but moves the break back ("push-out") until neither rule is broken,
so text never hangs past the margin or out of a table cell.
"""

from __future__ import annotations

from typing import Any
from unicodedata import category

from reportlab.platypus.paragraph import (
    Paragraph,
    ParaLines,
    _handleBulletWidth,
    cjkU,
    makeCJKParaLine,
)
from reportlab.rl_config import _FUZZ

CLOSING = frozenset("，。、；：？！）」』】〕〗〙〛〉》’”…‥・％‰℃"
                    "．,.;:?!)]}%｝］｠〞")
"""Characters a line may not start with: closing brackets, full stops, commas, …"""
OPENING = frozenset("（「『【〔〖〘〚〈《‘“([{｛［｟〝")
"""Characters a line may not end with: opening brackets and quotes."""


def break_position(chars: list[str], start: int, overflow: int) -> int:
    """Where the next line starts, given that ``chars[overflow]`` no longer fits.

    Inside a run of Latin text the break goes back to the last space or CJK character
    (within half the line) so words stay whole; then it moves back past closing
    punctuation that would start the next line and opening punctuation that would end
    this one. It never goes back to the line's first character, so every line makes
    progress even in a line made only of punctuation.
    """
    position = overflow
    if ord(chars[overflow][:1] or "\0") < 0x3000 and not _is_space(chars[overflow]):
        for j in range(overflow - 1, (start + overflow) >> 1, -1):
            if _is_space(chars[j]) or ord(chars[j][:1] or "\0") >= 0x3000:
                position = j + 1
                break
    while position > start + 1 and (
        chars[position] in CLOSING or chars[position - 1] in OPENING
    ):
        position -= 1
    return position if position > start else overflow if overflow > start else start + 1


def _is_space(char: str) -> bool:
    return bool(char) and category(char[0]) == "Zs"


def _width(glyph: Any, max_width: float) -> float:
    width = glyph.width
    if hasattr(width, "normalizedValue"):
        width._normalizer = max_width
        return float(width.normalizedValue(max_width))
    return float(width)


def kinsoku_split(frags: list[Any], max_widths: list[float], calc_bounds: bool) -> ParaLines:
    """reportlab's ``cjkFragSplit`` with Chinese line-breaking rules."""
    glyphs: list[Any] = []
    for frag in frags:
        text = frag.text.decode("utf8") if isinstance(frag.text, bytes) else frag.text
        if text:
            glyphs.extend(cjkU(t, frag, "utf8") for t in text)
        else:
            glyphs.append(cjkU(text, frag, "utf8"))  # an image, a <br/>: no text, one glyph
    chars = [str(g) for g in glyphs]
    lines: list[Any] = []
    start = i = 0
    used = 0.0
    max_width = max_widths[0]
    while i < len(glyphs):
        glyph = glyphs[i]
        used += _width(glyph, max_width)
        i += 1
        line_break = hasattr(glyph.frag, "lineBreak")
        if not line_break and not (used > max_width + _FUZZ and used > 0):
            continue
        end = i if line_break else break_position(chars, start, i - 1)
        width = sum(_width(g, max_width) for g in glyphs[start:end])
        lines.append(makeCJKParaLine(glyphs[start:end], max_width, width, max_width - width,
                                     line_break, calc_bounds))
        max_width = max_widths[min(len(lines), len(max_widths) - 1)]
        start = i = end
        while not line_break and start < len(glyphs) and _is_space(chars[start]):
            start = i = start + 1  # a space carried to the next line's start is dropped
        used = 0.0
    if start < len(glyphs):
        width = sum(_width(g, max_width) for g in glyphs[start:])
        lines.append(makeCJKParaLine(glyphs[start:], max_width, width, max_width - width,
                                     False, calc_bounds))
    return ParaLines(kind=1, lines=lines)


class KinsokuParagraph(Paragraph):  # type: ignore[misc]
    """A Paragraph whose CJK wrapping follows Chinese line-breaking rules.

    Use it with ``wordWrap="CJK"`` (our letter, form and report styles); other styles
    wrap as reportlab does.
    """

    def breakLinesCJK(self, maxWidths: Any) -> Any:
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        if hasattr(self, "blPara") and getattr(self, "_splitpara", False):
            return self.blPara
        style = self.style
        self.height = 0
        _handleBulletWidth(self.bulletText, style, maxWidths)
        if not self.frags:
            return ParaLines(kind=0, fontSize=style.fontSize, fontName=style.fontName,
                             textColor=style.textColor, lines=[], ascent=style.fontSize,
                             descent=-0.2 * style.fontSize)
        auto_leading = getattr(self, "autoLeading", getattr(style, "autoLeading", ""))
        return kinsoku_split(self.frags, list(maxWidths), auto_leading not in ("", "off"))
