"""Recurring problems: complaints that cluster, so a department can trace the root cause.

Three signals, each on its own because each catches what the others miss:

* the **same product** complained about at least ``min_cases`` times within a window;
* the **same category** likewise (e.g. "logistics" spiking after a carrier change);
* **similar text**, which finds the kettle that leaks at the base whatever the
  product code the customer wrote. Similarity is the cosine of TF-IDF vectors over
  :func:`terms`: Chinese characters and character pairs (no word segmentation
  needed: "漏水" is a pair) and English words without stop words (letter n-grams
  made unrelated English complaints look alike). Cases are linked only when they
  arrived within the window of each other.

A cluster's ``key`` is derived from its signal and its earliest case, so a root-cause
note staff attach to it still finds it when later cases join the cluster.

The module is pure (rows in, clusters out); the report reads the rows with SQL.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

MAX_TEXT_CHARS = 1000
"""The start of a complaint says what it is about."""

PAIR_BLOCK = 500
"""Cases compared at a time when looking for similar texts."""

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")


def terms(text: str) -> list[str]:
    """The terms two complaints are compared on, for Chinese and English alike."""
    lowered = text.lower()
    found: list[str] = []
    for run in _CJK_RUN.findall(lowered):
        found += list(run)
        found += [run[i : i + 2] for i in range(len(run) - 1)]
    found += [w for w in _LATIN_WORD.findall(lowered) if len(w) > 1 and w not in ENGLISH_STOP_WORDS]
    return found


@dataclass(frozen=True)
class CaseSignal:
    """The parts of a case that recurrence looks at."""

    reference: str
    received: date
    product: str
    category: str
    text: str


@dataclass(frozen=True)
class Cluster:
    """A group of related complaints, oldest first."""

    key: str
    signal: str  # "product" | "category" | "text"
    value: str  # the product or category; for text, the earliest case's opening words
    references: tuple[str, ...]  # all of them, or the first few when ``size`` says more
    first: date
    last: date
    size: int = 0  # how many cases; 0 means len(references)

    @property
    def count(self) -> int:
        return self.size or len(self.references)


def _ordered(cases: Sequence[CaseSignal]) -> list[CaseSignal]:
    return sorted(cases, key=lambda c: (c.received, c.reference))


def _chains(cases: Sequence[CaseSignal], window_days: int) -> list[list[CaseSignal]]:
    """Split cases into runs where each arrived within the window of the one before."""
    chains: list[list[CaseSignal]] = []
    for case in _ordered(cases):
        if chains and (case.received - chains[-1][-1].received).days <= window_days:
            chains[-1].append(case)
        else:
            chains.append([case])
    return chains


def _dense(cases: Sequence[CaseSignal], window_days: int, min_cases: int) -> bool:
    """Whether some window of ``window_days`` holds at least ``min_cases`` of the cases."""
    days = sorted(c.received.toordinal() for c in cases)
    start = 0
    for end, day in enumerate(days):
        while day - days[start] > window_days:
            start += 1
        if end - start + 1 >= min_cases:
            return True
    return False


def _cluster(signal: str, value: str, members: Sequence[CaseSignal]) -> Cluster:
    ordered = _ordered(members)
    return Cluster(
        key=f"{signal}:{ordered[0].reference}",
        signal=signal,
        value=value,
        references=tuple(c.reference for c in ordered),
        first=ordered[0].received,
        last=ordered[-1].received,
    )


def _by_field(
    cases: Sequence[CaseSignal], field: str, window_days: int, min_cases: int
) -> list[Cluster]:
    groups: dict[str, list[CaseSignal]] = defaultdict(list)
    for case in cases:
        value = getattr(case, field).strip()
        if value:
            groups[value.casefold()].append(case)
    clusters = []
    for members in groups.values():
        for chain in _chains(members, window_days):
            if _dense(chain, window_days, min_cases):
                clusters.append(_cluster(field, getattr(chain[0], field).strip(), chain))
    return clusters


def _similar_pairs(
    vectors: csr_matrix, days: np.ndarray, window_days: int, similarity: float
) -> coo_matrix:
    """Pairs of similar cases within the window of each other, as a sparse graph.

    Rows are in date order, so each block of rows is compared only with the slice of
    cases that arrived within the window of it: memory grows with the cases per
    window, not with the square of all cases.
    """
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for start in range(0, len(days), PAIR_BLOCK):
        stop = min(start + PAIR_BLOCK, len(days))
        low = int(np.searchsorted(days, days[start] - window_days, side="left"))
        high = int(np.searchsorted(days, days[stop - 1] + window_days, side="right"))
        block = (vectors[start:stop] @ vectors[low:high].T).tocoo()
        row, col = block.row + start, block.col + low
        keep = (block.data >= similarity) & (np.abs(days[row] - days[col]) <= window_days)
        rows.append(row[keep])
        cols.append(col[keep])
    size = len(days)
    ones = np.ones(sum(len(r) for r in rows), dtype=np.int8)
    return coo_matrix((ones, (np.concatenate(rows), np.concatenate(cols))), shape=(size, size))


def _by_text(
    cases: Sequence[CaseSignal], window_days: int, min_cases: int, similarity: float
) -> list[Cluster]:
    usable = _ordered([c for c in cases if len(c.text.strip()) >= 4])
    if len(usable) < min_cases:
        return []
    texts = [" ".join(c.text.split())[:MAX_TEXT_CHARS] for c in usable]
    vectors = TfidfVectorizer(analyzer=terms, sublinear_tf=True).fit_transform(texts)
    days = np.array([c.received.toordinal() for c in usable])
    graph = _similar_pairs(vectors.tocsr(), days, window_days, similarity)
    _, labels = connected_components(graph, directed=False)
    members: dict[int, list[CaseSignal]] = defaultdict(list)
    for position, label in enumerate(labels):
        members[int(label)].append(usable[position])
    clusters = []
    for group in members.values():
        if len(group) >= min_cases and _dense(group, window_days, min_cases):
            earliest = _ordered(group)[0]
            clusters.append(_cluster("text", " ".join(earliest.text.split())[:60], group))
    return clusters


def find_recurring(
    cases: Sequence[CaseSignal],
    *,
    window_days: int = 30,
    min_cases: int = 3,
    similarity: float = 0.4,
    text: bool = True,
) -> list[Cluster]:
    """Every cluster of at least ``min_cases`` related complaints, largest first.

    ``text=False`` skips the text comparison (for very large periods).
    """
    clusters = [
        *_by_field(cases, "product", window_days, min_cases),
        *_by_field(cases, "category", window_days, min_cases),
        *(_by_text(cases, window_days, min_cases, similarity) if text else []),
    ]
    return sorted(clusters, key=lambda c: (-len(c.references), c.first, c.key))
