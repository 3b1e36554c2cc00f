"""Character error rate: edit distance over the truth's length, whitespace ignored.

OCR drops or adds spaces between words and CJK characters in ways no reader notices,
so spaces and line breaks are not counted as characters.
"""

from __future__ import annotations


def _chars(text: str) -> str:
    return "".join(text.split())


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def char_error_rate(truth: str, read: str) -> float:
    expected = _chars(truth)
    return edit_distance(expected, _chars(read)) / max(1, len(expected))
