"""Where tests keep the packaged font's instances: one cache for every test run.

Instancing Noto Sans SC takes about half a minute per weight; a cache per test data
directory would pay that in every test that renders a letter on a machine without a
system CJK font.
"""

from __future__ import annotations

from pathlib import Path

from letters.pdf.fonts import FontSource

TEST_FONT_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-fonts"


def fonts_for_tests(*, hide_system: bool = False) -> FontSource:
    """The letter fonts for tests; ``hide_system`` leaves only the packaged font."""
    if hide_system:
        return FontSource(search_path=(), cache_dir=TEST_FONT_CACHE)
    return FontSource(cache_dir=TEST_FONT_CACHE)
