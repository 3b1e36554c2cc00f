"""OCR of one page image with RapidOCR, including whole-page rotation.

RapidOCR's own line classifier (``use_cls``) flips clean lines the wrong way, so it is
off; instead a page read with low confidence or with tall text boxes is tried again,
shrunk, at 90/180/270 degrees, and the best-read orientation is OCR'd in full. The
engine (about 1 GB with its models) is built once per process and shared; pages are
bounded in size (see :mod:`pipeline.scans.images`), and a page that has used its time
budget is not tried in more orientations.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

GOOD_CONFIDENCE = 0.85
PROBE_SIDE = 720
_LOCK = threading.Lock()  # one page at a time per process: the engine uses every core


@dataclass(frozen=True)
class PageText:
    """A page's text (lines in reading order), mean confidence and the turn applied."""

    text: str
    confidence: float
    angle: int
    seconds: float
    timed_out: bool = False


@dataclass(frozen=True)
class _Read:
    lines: list[str]
    confidence: float
    wide: float  # share of text boxes wider than tall


@cache
def engine() -> Any:
    """The RapidOCR engine, built on first use (its models ship inside the wheel)."""
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.use_cls": False, "Global.log_level": "error"})


def ocr_page(image: Image.Image, *, time_limit: float = 30.0) -> PageText:
    """Read one page; turn it when it reads badly upright. Never raises on odd pixels."""
    started = time.monotonic()
    upright = _read(image)
    angle, best = 0, upright
    if upright.lines and not _good(upright):
        angle = _best_turn(image, upright, started, time_limit)
        if angle:
            best = _read(image.rotate(angle, expand=True, fillcolor=255))
    elapsed = time.monotonic() - started
    return PageText(
        text="\n".join(best.lines),
        confidence=round(best.confidence, 3),
        angle=angle,
        seconds=round(elapsed, 3),
        timed_out=elapsed > time_limit,
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
    pixels = np.asarray(image.convert("RGB"))
    with _LOCK:
        result = engine()(pixels)
    boxes = result.boxes if result.boxes is not None else []
    texts = list(result.txts or ())
    scores = list(result.scores or ())
    if not texts:
        return _Read(lines=[], confidence=0.0, wide=0.0)
    items = []
    wide = 0
    for box, text, score in zip(boxes, texts, scores, strict=False):
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        width, height = max(xs) - min(xs), max(ys) - min(ys)
        wide += width > height
        items.append((min(xs), (min(ys) + max(ys)) / 2, max(height, 1.0), str(text), float(score)))
    chars = sum(len(t) for *_, t, _ in items) or 1
    confidence = sum(len(t) * s for *_, t, s in items) / chars
    return _Read(lines=_lines(items), confidence=confidence, wide=wide / len(items))


def _lines(items: list[tuple[float, float, float, str, float]]) -> list[str]:
    """Group boxes into lines by their vertical centre, then read each line left to right."""
    rows: list[list[tuple[float, float, float, str, float]]] = []
    for item in sorted(items, key=lambda i: i[1]):
        if rows and abs(item[1] - rows[-1][0][1]) < 0.5 * rows[-1][0][2]:
            rows[-1].append(item)
        else:
            rows.append([item])
    lines = []
    for row in rows:
        line = ""
        for _, _, _, text, _ in sorted(row, key=lambda i: i[0]):
            glue = " " if line and (line[-1].isascii() or text[:1].isascii()) else ""
            line = f"{line}{glue}{text}"
        lines.append(line)
    return lines
