"""Customer text put into letters: what :func:`clean_text` keeps and drops."""

from __future__ import annotations

import sys
import unicodedata

from letters.formatting import clean_line, clean_text

BIDI_OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_every_control_separator_and_bidi_override_is_dropped_and_nothing_else() -> None:
    """GIVEN every Unicode character
    THEN exactly the controls (Cc), line and paragraph separators (Zl, Zp) and bidi
    overrides are dropped; the line feed stays (tab and CR become space and LF first)."""
    everything = "".join(chr(code) for code in range(sys.maxunicode + 1)
                         if not 0xD800 <= code <= 0xDFFF)
    expected = "".join(
        char for char in everything.replace("\r", "\n").replace("\t", " ")
        if char == "\n" or (unicodedata.category(char) not in ("Cc", "Zl", "Zp")
                            and char not in BIDI_OVERRIDES))
    assert clean_text(everything) == expected


def test_a_name_with_a_line_break_and_an_override_is_one_clean_line() -> None:
    assert clean_line("Jane\r\n\u202eDoe\u0007\t Smith") == "Jane Doe Smith"
    assert clean_text("第一行\r\n第二行\u2028") == "第一行\n第二行"
