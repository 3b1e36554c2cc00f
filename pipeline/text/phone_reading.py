"""Phone numbers read in the customer's own region, kept as written when it is unclear.

Each written number is matched in every region of the context (see ``regions``). The
first tier of regions that gives a valid number decides it; when one tier gives two
different valid numbers (an 8-digit number is valid in Hong Kong and in Singapore),
or when the context points nowhere and only a region we were not told about makes
the number valid, the number is kept exactly as the customer wrote it and flagged
for staff instead of being re-formatted in a country we guessed.

The written form is kept for every number, so the acknowledgment can repeat the
number as the customer wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.text.phones import (
    MAX_SCAN,
    PhoneMatch,
    cluster_matches,
    fold_fullwidth,
    labelled_not_phone,
    phone_rank,
    same_in_every_region,
    worth_matching_clusters,
)
from pipeline.text.regions import RegionContext

__all__ = ["PhoneReading", "ReadNumber", "read_phones"]

# Regions tried only to notice a number that is valid somewhere else: it is then kept
# as written and flagged, never converted.
ELSEWHERE = ("GB", "US", "HK", "TW", "SG", "CN")
MAX_ELSEWHERE = 3  # digit runs looked up there per text: a wall of digits costs no more


@dataclass(frozen=True)
class ReadNumber:
    """One written number: its E.164 form when certain, else the possible ones."""

    written: str
    e164: str = ""  # "" when the region is unclear
    candidates: tuple[str, ...] = ()

    @property
    def unsure(self) -> bool:
        return not self.e164


@dataclass(frozen=True)
class PhoneReading:
    """Every number in a text, the customer's own first."""

    numbers: tuple[ReadNumber, ...] = ()

    @property
    def phones(self) -> tuple[str, ...]:
        """The certain numbers, in E.164."""
        return tuple(dict.fromkeys(n.e164 for n in self.numbers if n.e164))

    @property
    def unsure(self) -> tuple[str, ...]:
        """Numbers kept as written because their country is unclear."""
        return tuple(dict.fromkeys(n.written for n in self.numbers if n.unsure))

    @property
    def candidates(self) -> tuple[str, ...]:
        """Every E.164 reading, for staff to choose from (the unsure ones' too)."""
        values = [value for n in self.numbers for value in (n.e164, *n.candidates) if value]
        return tuple(dict.fromkeys(values))

    @property
    def best(self) -> str:
        """The value for the case's phone field: E.164, or the number as written."""
        return (self.numbers[0].e164 or self.numbers[0].written)[:40] if self.numbers else ""

    @property
    def best_written(self) -> str:
        return self.numbers[0].written[:60] if self.numbers else ""


def read_phones(text: str, context: RegionContext) -> PhoneReading:
    """The numbers in ``text``, each read in the first region tier that makes it valid.

    Digit run by digit run, tier by tier: a run settled by a tier costs no look-up in
    the tiers after it, so a Chinese mail with the fallback region costs one pass.
    """
    folded = fold_fullwidth(text[:MAX_SCAN])
    groups: list[list[PhoneMatch]] = []
    elsewhere_left = MAX_ELSEWHERE
    for span in worth_matching_clusters(folded):
        for regions in (*context.tiers, () if context.points_somewhere else ELSEWHERE):
            if regions is ELSEWHERE:
                if elsewhere_left == 0 or labelled_not_phone(folded, span):
                    break
                elsewhere_left -= 1
            found = _in_regions(folded, span, regions, context)
            if found:
                groups += _overlapping(found)
                break
    ranked = sorted(groups, key=lambda group: phone_rank(folded, group[0]))
    numbers = [_decide(group, context) for group in ranked]
    return PhoneReading(numbers=_unique(numbers))


def _in_regions(
    folded: str, span: tuple[int, int], regions: tuple[str, ...], context: RegionContext
) -> list[PhoneMatch]:
    """The cluster's numbers as each region reads it; a strict reading that any region
    would give alike (numbers written with "+") is made once and copied."""
    found: list[PhoneMatch] = []
    alike: list[PhoneMatch] | None = None
    for region in regions:
        lenient = region in context.places
        if alike is not None and not lenient:
            found += [replace(match, region=region) for match in alike]
            continue
        matches = cluster_matches(folded, span, region, lenient=lenient)
        if alike is None and not lenient and same_in_every_region(folded, span, matches):
            alike = matches
        found += matches
    return found


def _unique(numbers: list[ReadNumber]) -> tuple[ReadNumber, ...]:
    """One entry per number: the same number written twice is one number."""
    seen: dict[str, ReadNumber] = {}
    for number in numbers:
        seen.setdefault(number.e164 or number.written, number)
    return tuple(seen.values())


def _overlapping(matches: list[PhoneMatch]) -> list[list[PhoneMatch]]:
    """Matches of the same written number (overlapping spans), grouped, in text order."""
    groups: list[list[PhoneMatch]] = []
    end = -1
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if groups and match.start < end:
            groups[-1].append(match)
            end = max(end, match.end)
        else:
            groups.append([match])
            end = match.end
    return groups


def _decide(group: list[PhoneMatch], context: RegionContext) -> ReadNumber:
    written = max((m.raw for m in group), key=len)
    for tier in context.tiers:
        in_tier = [m for m in group if m.region in tier]
        values = tuple(dict.fromkeys(m.e164 for m in in_tier))
        if len(values) == 1:
            return ReadNumber(written=in_tier[0].raw or written, e164=values[0])
        if len(values) > 1:
            return ReadNumber(written=written, candidates=values)
    return ReadNumber(written=written, candidates=tuple(dict.fromkeys(m.e164 for m in group)))
