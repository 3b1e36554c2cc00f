"""The one font every PDF and demo scan uses, chosen so Chinese renders on any reader.

A PDF that only names a CJK font (reportlab's built-in ``STSong-Light``) relies on the
reader having an Asian font pack; many phone and browser viewers do not, and show
blank boxes. So we embed a TrueType CJK font, looked up by :func:`find_font_files`,
the one lookup letters, reports and the demo's scans share:

1. the font the settings name (``COMPLAINTS_PDF_FONT_PATH``);
2. a system font (WenQuanYi Zen Hei and friends where Debian, Fedora, macOS and Windows
   put them, or the files/folders in ``COMPLAINTS_PDF_FONT_SEARCH_PATH``);
3. Noto Sans SC from the ``justmytype-intl-cjk`` Python package, so a machine with
   nothing but Python still prints Chinese. That file is a variable font, and reportlab
   embeds a variable font's default instance, which is Thin; so Regular and Bold are
   instantiated once with fontTools and cached in the data directory.

OpenType/CFF fonts (Noto CJK ``.otf``) are refused by reportlab, so only ``.ttf``/``.ttc``
files are candidates. Without any, we fall back to ``STSong-Light`` and log a warning,
because an unembedded letter is still better than no letter.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

FONT_NAME = "LetterCJK"
FALLBACK_FONT = "STSong-Light"
FONT_SUFFIXES = frozenset({".ttf", ".ttc"})

CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)
KNOWN_NAMES = frozenset(Path(c).name for c in CANDIDATES)

PACKAGE = "justmytype_intl_cjk"
PACKAGED_FONT = "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
REGULAR, BOLD = 400, 700
INSTANCE_RECIPE = "static-named-1"  # change it when instantiate() changes what it makes

_instancing = threading.Lock()


@dataclass(frozen=True)
class FontSource:
    """Where to look for the font: a configured file, system places, the package's font."""

    configured_path: str = ""
    search_path: tuple[str, ...] = CANDIDATES  # font files, or folders holding KNOWN_NAMES
    cache_dir: Path = Path("var") / "fonts"  # where the packaged font's instances are kept
    packaged: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> FontSource:
        search = settings.pdf_font_search_path
        return cls(
            configured_path=settings.pdf_font_path,
            search_path=tuple(p for p in search.split(os.pathsep) if p) if search else CANDIDATES,
            cache_dir=Path(settings.pdf_font_cache_dir or settings.data_dir / "fonts"),
        )


@dataclass(frozen=True)
class FontFiles:
    """The TrueType files to use, and where they came from (configured, system, packaged).

    ``bold`` is None when it was not asked for (the demo's scans need only Regular).
    """

    regular: Path
    bold: Path | None
    origin: str


@dataclass(frozen=True)
class LetterFont:
    """The registered font's name for reportlab, and whether it is embedded."""

    name: str
    embedded: bool
    path: str | None
    bold_name: str = ""


def find_font_files(source: FontSource, *, bold: bool = True) -> FontFiles | None:
    """The CJK TrueType font for letters, reports and scans; None when there is none.

    A one-weight font (configured or system) serves as its own bold.
    """
    if source.configured_path:
        configured = Path(source.configured_path)
        if _usable(configured):
            return FontFiles(configured, configured, "configured")
        log.warning("The configured letter font %s could not be used.", configured)
    system = system_fonts(source.search_path)
    if system:
        return FontFiles(system[0], system[0], "system")
    variable = packaged_variable_font() if source.packaged else None
    if variable is None:
        return None
    regular = instantiate(variable, source.cache_dir, REGULAR)
    heavy = instantiate(variable, source.cache_dir, BOLD) if bold else None
    return FontFiles(regular, heavy, "packaged")


def _usable(path: Path) -> bool:
    return path.suffix.lower() in FONT_SUFFIXES and path.is_file()


def system_fonts(search_path: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for entry in search_path:
        path = Path(entry)
        if path.is_dir():
            found += sorted(p for name in KNOWN_NAMES for p in path.rglob(name) if _usable(p))
        elif _usable(path):
            found.append(path)
    return found


def packaged_variable_font() -> Path | None:
    """Noto Sans SC (variable weight) as the justmytype-intl-cjk package ships it."""
    try:
        from importlib.resources import files

        path = Path(str(files(PACKAGE) / PACKAGED_FONT))
    except (ImportError, TypeError):
        return None
    return path if path.is_file() else None


def instance_path(variable: Path, cache_dir: Path, weight: int) -> Path:
    """Where one weight of ``variable`` is kept: named after the source's size and date,
    so an upgraded package is instanced anew."""
    stat = variable.stat()
    key = f"{INSTANCE_RECIPE}:{variable.name}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode())
    return cache_dir / f"{variable.stem.split('[')[0]}-{weight}-{digest.hexdigest()[:10]}.ttf"


def instantiate(variable: Path, cache_dir: Path, weight: int) -> Path:
    """One static weight of a variable font, made once and kept in ``cache_dir``.

    Made by one process at a time (a lock file beside it): processes starting together
    on a new machine (the demo's console and workers, parallel tests) would otherwise
    each spend a minute of CPU on the same file. Written under a temporary name and
    renamed, so no process ever reads half a font.
    """
    target = instance_path(variable, cache_dir, weight)
    with _instancing:
        if _made(target):
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _one_process_at_a_time(cache_dir / ".instancing.lock"):
            if not _made(target):  # another process may have made it while we waited
                _make_instance(variable, target, weight)
    return target


def _made(target: Path) -> bool:
    return target.is_file() and target.stat().st_size > 0


@contextmanager
def _one_process_at_a_time(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (POSIX); where there is none (Windows),
    two processes may both make the font, and the rename still keeps it whole."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_instance(variable: Path, target: Path, weight: int) -> None:
    from fontTools.ttLib import TTFont as ToolsFont
    from fontTools.varLib import instancer

    log.info("Preparing the Chinese font, weight %d, once into %s", weight, target.parent)
    static = instancer.instantiateVariableFont(
        ToolsFont(str(variable)), {"wght": weight}, optimize=False,
        overlap=instancer.OverlapMode.KEEP_AND_DONT_SET_FLAGS, updateFontNames=True,
    )
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    static.save(str(temporary))
    os.replace(temporary, target)


def _register_truetype(name: str, path: Path) -> bool:
    try:
        font = TTFont(name, str(path), subfontIndex=0)
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


def _font_name(path: Path) -> str:
    """A reportlab name per file, so two sources in one process never replace each other."""
    return f"{FONT_NAME}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"


@cache
def letter_font(source: FontSource | str = "") -> LetterFont:
    """Register and return the CJK font for letters (once per process and source).

    A string is a configured font path, searched before the usual places.
    """
    if isinstance(source, str):
        source = FontSource(configured_path=source)
    files = find_font_files(source)
    if files is not None:
        bold_file = files.bold or files.regular
        name, bold = _font_name(files.regular), _font_name(bold_file)
        if _register_truetype(name, files.regular) and (
            bold == name or _register_truetype(bold, bold_file)
        ):
            _map_family(name, bold)
            return LetterFont(name=name, embedded=True, path=str(files.regular), bold_name=bold)
        if source.configured_path and files.origin == "configured":
            return letter_font(FontSource("", source.search_path, source.cache_dir,
                                          source.packaged))
    log.warning(
        "No CJK TrueType font found (pip install justmytype-intl-cjk, install"
        " fonts-wqy-zenhei or set COMPLAINTS_PDF_FONT_PATH); letters use %s, which readers"
        " without an Asian font pack show as blank boxes.",
        FALLBACK_FONT,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return LetterFont(name=FALLBACK_FONT, embedded=False, path=None, bold_name=FALLBACK_FONT)


def _map_family(name: str, bold: str) -> None:
    """``<b>`` in a paragraph picks the Bold instance (the same file for a one-weight font)."""
    addMapping(name, 0, 0, name)
    addMapping(name, 1, 0, bold)
    addMapping(name, 0, 1, name)
    addMapping(name, 1, 1, bold)


def settings_font(settings: Settings) -> LetterFont:
    """The letter font as the settings choose it (configured path, search path, cache)."""
    return letter_font(FontSource.from_settings(settings))
