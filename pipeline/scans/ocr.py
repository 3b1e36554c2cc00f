"""OCR of one page image with RapidOCR, including whole-page rotation.

RapidOCR's own line classifier (``use_cls``) flips clean lines the wrong way, so it is
off; instead a page read with low confidence or with tall text boxes is tried again,
shrunk, at 90/180/270 degrees, and the best-read orientation is OCR'd in full. The
engine (about 1 GB with its models) is built once per process and shared; pages are
bounded in size (see :mod:`pipeline.documents.images`), and a page that has used its time
budget is not tried in more orientations.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image

GOOD_CONFIDENCE = 0.85
PROBE_SIDE = 720
_LOCK = threading.Lock()  # one page at a time per process: the engine uses every core


@dataclass(frozen=True)
class WordBox:
    """One box RapidOCR found: its text, score and upright rectangle in page pixels."""

    text: str
    score: float
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class OcrLine:
    """A line of the page's text and the boxes it was glued from, left to right.

    ``starts`` holds where each box's text begins in ``text``, so a span of the
    text (a phone number, a name) leads back to the boxes it was read from.
    """

    text: str
    boxes: tuple[WordBox, ...] = ()
    starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class PageText:
    """A page's text (lines in reading order), mean confidence and the turn applied.

    ``width``/``height`` are those of the image OCR read (after the turn), the frame
    the boxes in ``lines`` are measured in; a PDF text-layer page has none.
    """

    text: str
    confidence: float
    angle: int
    seconds: float
    timed_out: bool = False
    width: int = 0
    height: int = 0
    lines: tuple[OcrLine, ...] = ()


@dataclass(frozen=True)
class _Read:
    rows: list[OcrLine]
    confidence: float
    wide: float  # share of text boxes wider than tall

    @property
    def lines(self) -> list[str]:
        return [row.text for row in self.rows]


@cache
def engine() -> Any:
    """The RapidOCR engine, built on first use (its models ship inside the wheel)."""
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.use_cls": False, "Global.log_level": "error"})


def ocr_page(image: Image.Image, *, time_limit: float = 30.0) -> PageText:
    """Read one page; turn it when it reads badly upright. Never raises on odd pixels."""
    started = time.monotonic()
    upright = _read(image)
    angle, best, size = 0, upright, image.size
    if upright.lines and not _good(upright):
        angle = _best_turn(image, upright, started, time_limit)
        if angle:
            turned = image.rotate(angle, expand=True, fillcolor=255)
            best, size = _read(turned), turned.size
    elapsed = time.monotonic() - started
    return PageText(
        text="\n".join(best.lines),
        confidence=round(best.confidence, 3),
        angle=angle,
        seconds=round(elapsed, 3),
        timed_out=elapsed > time_limit,
        width=size[0],
        height=size[1],
        lines=tuple(best.rows),
    )


def _good(read: _Read) -> bool:
    return read.confidence >= GOOD_CONFIDENCE and read.wide >= 0.6 and len(read.lines) > 0


def _best_turn(image: Image.Image, upright: _Read, started: float, limit: float) -> int:
    """The rotation (degrees, counter-clockwise) under which a small copy reads best.

    Tall text boxes mean the page lies on its side (try 90 and 270); wide boxes that
    read badly mean it may be upside down (try 180).
    """
    probe = image.copy()
    probe.thumbnail((PROBE_SIDE, PROBE_SIDE))
    scores = {0: _score(_read(probe))}
    for angle in (90, 270) if upright.wide < 0.5 else (180,):
        if time.monotonic() - started > limit:
            break
        scores[angle] = _score(_read(probe.rotate(angle, expand=True, fillcolor=255)))
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] > scores[0] else 0


def _score(read: _Read) -> float:
    chars = sum(len(line) for line in read.lines)
    return read.confidence * read.wide * min(1.0, chars / 40)


def _read(image: Image.Image) -> _Read:
    import numpy as np  # here: every process loading this module would pay for it at start

    pixels = np.asarray(image.convert("RGB"))
    with _LOCK:
        result = engine()(pixels)
    boxes = result.boxes if result.boxes is not None else []
    texts = list(result.txts or ())
    scores = list(result.scores or ())
    if not texts:
        return _Read(rows=[], confidence=0.0, wide=0.0)
    items = []
    wide = 0
    for box, text, score in zip(boxes, texts, scores, strict=False):
        xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
        width, height = max(xs) - min(xs), max(ys) - min(ys)
        wide += width > height
        items.append(WordBox(str(text), float(score), min(xs), min(ys), width, height))
    chars = sum(len(item.text) for item in items) or 1
    confidence = sum(len(item.text) * item.score for item in items) / chars
    return _Read(rows=_lines(items), confidence=confidence, wide=wide / len(items))


def _lines(items: list[WordBox]) -> list[OcrLine]:
    """Group boxes into lines by their vertical centre, then read each line left to right."""
    rows: list[list[WordBox]] = []
    for item in sorted(items, key=_middle):
        if rows and abs(_middle(item) - _middle(rows[-1][0])) < 0.5 * max(rows[-1][0].h, 1.0):
            rows[-1].append(item)
        else:
            rows.append([item])
    lines = []
    for row in rows:
        line, starts = "", []
        ordered = tuple(sorted(row, key=lambda i: i.x))
        for item in ordered:
            glue = " " if line and (line[-1].isascii() or item.text[:1].isascii()) else ""
            starts.append(len(line) + len(glue))
            line = f"{line}{glue}{item.text}"
        lines.append(OcrLine(text=line, boxes=ordered, starts=tuple(starts)))
    return lines


def _middle(item: WordBox) -> float:
    return item.y + item.h / 2
