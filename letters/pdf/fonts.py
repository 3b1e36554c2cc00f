"""The one font every PDF we print uses, chosen so Chinese renders on any reader.

A PDF that only names a CJK font (reportlab's built-in ``STSong-Light``) relies on the
reader having an Asian font pack; many phone and browser viewers do not, and show
blank boxes. So we embed a TrueType CJK font when one can be found: the settings may
name one, otherwise we look in the places Debian, Fedora, macOS and Windows put
WenQuanYi Zen Hei and friends. OpenType/CFF fonts (Noto CJK ``.otf``) are refused by
reportlab, so only ``.ttf``/``.ttc`` files are candidates. Without any, we fall back to
``STSong-Light`` and log a warning, because an unembedded letter is still better than
no letter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FONT_NAME = "LetterCJK"
FALLBACK_FONT = "STSong-Light"

CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)


@dataclass(frozen=True)
class LetterFont:
    """The registered font's name for reportlab, and whether it is embedded."""

    name: str
    embedded: bool
    path: str | None


def _register_truetype(path: Path) -> bool:
    try:
        font = TTFont(FONT_NAME, str(path), subfontIndex=0)
    except (TTFError, OSError) as exc:
        log.warning("Cannot use the font %s for letters: %s", path, exc)
        return False
    _cache_tables(font)
    pdfmetrics.registerFont(font)
    return True


def _cache_tables(font: TTFont) -> None:
    """Keep the font's tables after their first read instead of copying them per letter.

    reportlab copies a whole table out of the font file for every subset it embeds;
    for a CJK font the glyph table is about 10 MB, which made that copy a third of
    the time to render a letter. Tables are immutable bytes, so caching them is safe.
    """
    face = font.face
    face.get_table = cache(face.get_table)


@cache
def letter_font(configured_path: str = "") -> LetterFont:
    """Register and return the CJK font for letters (once per process and path)."""
    candidates = [configured_path] if configured_path else []
    candidates += list(CANDIDATES)
    for candidate in candidates:
        path = Path(candidate)
        if path.suffix.lower() in {".ttf", ".ttc"} and path.is_file() and _register_truetype(path):
            return LetterFont(name=FONT_NAME, embedded=True, path=str(path))
    if configured_path:
        log.warning("The configured letter font %s could not be used.", configured_path)
    log.warning(
        "No CJK TrueType font found (install fonts-wqy-zenhei or set COMPLAINTS_PDF_FONT_PATH);"
        " letters use %s, which readers without an Asian font pack show as blank boxes.",
        FALLBACK_FONT,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return LetterFont(name=FALLBACK_FONT, embedded=False, path=None)
