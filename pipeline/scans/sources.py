"""Where on the scan each field was read: the field's value traced back to OCR boxes.

Extraction works on the letter's plain text; the reviewer needs to see the words on
the page. Every OCR box keeps its place in its line's text (see
:class:`pipeline.scans.ocr.OcrLine`), so we lay all pages' characters out as one
stream of (page, line, box, char) and look each field's value up in it, ignoring
spacing, punctuation, width and case — an address tidied to ``文三路88号`` is still
found in ``文三路 88 号``, and an order number broken over two lines is one run.
Phone numbers are matched on their digits (the value is stored as +86…; the letter
says 138…). The result is, per field, rectangles in page pixels: the part of each
box the value covers, so a number inside a longer line is outlined on its own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.scans.document import DocumentText
from pipeline.scans.fields import LetterFields, parse_date
from pipeline.scans.ocr import OcrLine

# Long values (what happened) are found by their first and last words.
_EDGE = 12
_MAX_RECTS = 400


@dataclass(frozen=True)
class _Char:
    page: int  # 0-based index into the document's pages
    line: int
    box: int
    offset: int  # in the box's text


def _normal(char: str) -> str:
    """What a character counts as when matching: NFKC, lower case, letters/digits only."""
    return "".join(c for c in unicodedata.normalize("NFKC", char).lower() if c.isalnum())


class _Stream:
    """All boxes' characters in reading order, each mapped back to its box."""

    def __init__(self, document: DocumentText, keep: Callable[[str], bool]) -> None:
        self.document = document
        self.text_parts: list[str] = []
        self.chars: list[_Char] = []
        for page_index, page in enumerate(document.pages):
            for line_index, line in enumerate(page.lines):
                for box_index, box in enumerate(line.boxes):
                    for offset, char in enumerate(box.text):
                        for normal in _normal(char):
                            if keep(normal):
                                self.text_parts.append(normal)
                                self.chars.append(_Char(page_index, line_index, box_index, offset))
        self.text = "".join(self.text_parts)

    def find(self, needle: str) -> list[_Char]:
        """The first run equal to ``needle`` that stands as a word of its own.

        "Mary Jones" is looked for in the signature, not inside mary.jones@…; when
        every run is part of a longer word, the first one is taken.
        """
        if not needle:
            return []
        runs: list[list[_Char]] = []
        at = self.text.find(needle)
        while at >= 0 and len(runs) < 50:
            runs.append(self.chars[at : at + len(needle)])
            at = self.text.find(needle, at + 1)
        bounded = [run for run in runs if self._stands_alone(run)]
        return (bounded or runs or [[]])[0]

    def _stands_alone(self, run: list[_Char]) -> bool:
        first, last = run[0], run[-1]
        before = self._box_text(first)[first.offset - 1 : first.offset] if first.offset else ""
        after = self._box_text(last)[last.offset + 1 : last.offset + 2]
        return not any(c.isascii() and (c.isalnum() or c in "._@-") for c in before + after)

    def _box_text(self, char: _Char) -> str:
        return self.document.pages[char.page].lines[char.line].boxes[char.box].text

    def find_long(self, needle: str) -> list[_Char]:
        """A long value: all of it, or from its first words to its last words."""
        found = self.find(needle)
        if found or len(needle) <= 2 * _EDGE:
            return found
        start = self.text.find(needle[:_EDGE])
        if start < 0:
            return []
        end = self.text.find(needle[-_EDGE:], start + _EDGE)
        return self.chars[start : end + _EDGE] if end >= 0 else self.chars[start : start + _EDGE]


def _digits(value: str) -> str:
    return "".join(c for c in _normal(value) if c.isdigit())


def _phone(stream: _Stream, value: str) -> list[_Char]:
    """A number stored as +8613800138000 and written 138 0013 8000 or 0770 …."""
    digits = _digits(value)
    for drop in range(0, 4):
        needle = digits[drop:]
        if len(needle) < 6:
            break
        found = stream.find(needle)
        if found:
            return found
    return []


def _date_lines(document: DocumentText, value: str) -> list[_Char]:
    """The line that holds the letter's date (the value is ISO; the page is not)."""
    for page_index, page in enumerate(document.pages):
        for line_index, line in enumerate(page.lines):
            parsed = parse_date(line.text.strip(" ,.。"))
            if parsed is not None and parsed.isoformat() == value:
                return [
                    _Char(page_index, line_index, box_index, offset)
                    for box_index, box in enumerate(line.boxes)
                    for offset in range(len(box.text))
                ]
    return []


Rects = list[dict[str, float]]


def field_sources(document: DocumentText, fields: LetterFields) -> dict[str, Rects]:
    """Per field key (as in the record form), the rectangles its value was read from.

    Each rectangle is ``{"page": n (1-based), "x", "y", "w", "h"}`` in the pixels of the
    page image OCR read. Fields not found on any page (or read from a PDF's text
    layer, which has no boxes) are left out.
    """
    text = _Stream(document, lambda c: True)
    digits = _Stream(document, str.isdigit)
    found: dict[str, list[_Char]] = {
        "customer_name": text.find(_normal(fields.name.value)),
        "customer_address": text.find_long(_normal(fields.address.value)),
        "customer_email": text.find(_normal(fields.email.value)),
        "customer_phone": _phone(digits, fields.phone.value) if fields.phone.value else [],
        "what_happened": text.find_long(_normal(fields.what_happened.value)),
        "letter_date": _date_lines(document, fields.letter_date.value)
        if fields.letter_date.value
        else [],
        "order_numbers": [c for order in fields.orders for c in text.find(_normal(order))],
        "amounts": [c for amount in fields.amounts for c in digits.find(_digits(amount))],
    }
    return {key: _rects(document, chars) for key, chars in found.items() if chars}


def _rects(document: DocumentText, chars: list[_Char]) -> Rects:
    """One rectangle per box touched: the share of the box's width the chars cover."""
    spans: dict[tuple[int, int, int], list[int]] = {}
    for char in chars:
        spans.setdefault((char.page, char.line, char.box), []).append(char.offset)
    rects = []
    for (page, line, box), offsets in list(spans.items())[:_MAX_RECTS]:
        rects.append(_part(document.pages[page].lines[line], box, min(offsets), max(offsets), page))
    return rects


def _width(char: str) -> float:
    """A character's width relative to a CJK one, as printed and read back (measured)."""
    if unicodedata.east_asian_width(char) in "WF":
        return 1.0
    if char.isspace():
        return 0.35
    return 0.7 if char.isalnum() else 0.4


def _part(line: OcrLine, box_index: int, first: int, last: int, page: int) -> dict[str, float]:
    box = line.boxes[box_index]
    widths = [_width(c) for c in box.text]
    total = max(sum(widths), 1)
    left = box.x + box.w * sum(widths[:first]) / total
    right = box.x + box.w * sum(widths[: last + 1]) / total
    return {
        "page": page + 1,
        "x": round(left, 1),
        "y": round(box.y, 1),
        "w": round(max(right - left, 1.0), 1),
        "h": round(box.h, 1),
    }
