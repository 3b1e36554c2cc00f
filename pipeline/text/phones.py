"""Phone numbers in free text, with the phonenumbers library.

Customers write numbers every way: 138 0013 8000, +86 138-0013-8000, 0086…,
(021) 6123 4567, full-width digits from a Chinese input method, or split over a
line break by their mail client. Order numbers and dates must not come out as phone
numbers, so only numbers the library calls *valid* are kept, and digits that follow
an order/waybill label are skipped.

phonenumbers' matcher is pure Python and slow on long texts, so it never sees the
whole mail: a cheap regex first picks the digit clusters that could be a number, and
only those (with a little context) go through the matcher. Hostile input (a mail of
20,000 digits) is bounded by the scan length, the cluster count and ``max_tries``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = [
    "PhoneMatch",
    "cluster_matches",
    "find_phones",
    "fold_fullwidth",
    "labelled_not_phone",
    "likely_phones",
    "phone_matches",
    "phone_rank",
    "same_in_every_region",
    "worth_matching_clusters",
]

MAX_SCAN = 20_000  # characters of a mail searched for numbers
MAX_CLUSTERS = 60  # digit clusters handed to the matcher, at most
_MAX_TRIES = 50  # matcher attempts per cluster (the library default is 65,535)
_CONTEXT = 2  # characters of context around a cluster: the matcher checks its neighbours

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, mapped one to one so
# positions in the folded text are positions in the original.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULLWIDTH_RUN = re.compile("[\uff01-\uff5e\u3000]+")

# A run that could hold a phone number: digits with the separators people type. Its
# length is bounded so that a wall of digits is cut into many small, cheap clusters.
_CLUSTER = re.compile(r"[+(]?\d[\d \t\r\n().\-/]{0,40}\d\)?")
# Written like a phone number: a "+", "00" or trunk "0" first, and digit groups.
_PHONE_SHAPE = re.compile(r"(?:\+|0)\d[\d().\-]*(?:[ \-.]+[\d()]+)+")
_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
_DATE = re.compile(r"\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})\s*")
# The number right after one of these is an order or waybill number, not a phone.
_ORDER_LABEL = re.compile(
    r"(?:订单|单号|编号|运单|快递单|物流单|工单|发票|order|tracking|invoice|waybill|parcel|"
    r"shipment|reference|ref)\s*(?:no\.?|number|num|#|号|号码|编号)?\s*(?:is|为|是)?\s*[:#]?\s*$",
    re.IGNORECASE,
)
_PERSONAL_LABEL = re.compile(
    r"(?:电话|手机|联系方式|联系|致电|打给我|tel|phone|mobile|cell|call me|reach me|contact)",
    re.IGNORECASE,
)
_SERVICE_LABEL = re.compile(r"(?:客服|热线|总机|hotline|service|helpline|support)", re.IGNORECASE)
_SERVICE_TYPES = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.UAN,
}


@dataclass(frozen=True)
class PhoneMatch:
    """One valid number found at ``start`` (an offset into the scanned text)."""

    start: int
    e164: str
    number_type: int
    raw: str = ""  # as the customer wrote it, whitespace tidied
    end: int = 0
    region: str = ""


@lru_cache(maxsize=8)
def fold_fullwidth(text: str) -> str:
    """Full-width letters, digits and signs as ASCII, keeping every offset unchanged.

    Cached: one mail's text is folded for phones, orders and e-mail. Only the runs of
    full-width characters are translated (``str.translate`` with a mapping is slow on
    a whole non-ASCII text).
    """
    return _FULLWIDTH_RUN.sub(lambda run: run.group().translate(_FULLWIDTH), text)


def find_phones(text: str, region: str = "CN") -> tuple[str, ...]:
    """Valid phone numbers in E.164, in order of appearance, without duplicates."""
    return tuple(dict.fromkeys(match.e164 for match in phone_matches(text, region)))


def likely_phones(text: str, region: str = "CN") -> tuple[str, ...]:
    """The same numbers, the customer's own first.

    A complaint often quotes our hotline ("I called 400-820-8820 three times"), so
    service numbers and numbers labelled as a hotline go last, and a number labelled
    "my phone"/"联系电话" or a mobile comes before an unlabelled landline.
    """
    folded = fold_fullwidth(text[:MAX_SCAN])
    matches = phone_matches(text, region)
    ranked = sorted(matches, key=lambda match: _rank(folded, match))
    return tuple(dict.fromkeys(match.e164 for match in ranked))


def phone_rank(folded: str, match: PhoneMatch) -> tuple[int, int, int, int]:
    """Sort key: the customer's own numbers first (see ``likely_phones``)."""
    return _rank(folded, match)


def worth_matching_clusters(folded: str) -> list[tuple[int, int]]:
    """Spans of the digit runs that could be a phone number, as ``phone_matches`` sees them."""
    spans = []
    for count, cluster in enumerate(_CLUSTER.finditer(folded)):
        if count >= MAX_CLUSTERS:
            break
        if _worth_matching(folded, cluster):
            spans.append((cluster.start(), cluster.end()))
    return spans


def labelled_not_phone(folded: str, span: tuple[int, int]) -> bool:
    """A digit run right after an order/waybill label, or a date: never a phone number."""
    return bool(
        _ORDER_LABEL.search(folded[max(0, span[0] - 20) : span[0]])
        or _DATE.fullmatch(folded[span[0] : span[1]])
    )


def cluster_matches(
    folded: str, span: tuple[int, int], region: str, *, lenient: bool = False
) -> list[PhoneMatch]:
    """The numbers in one digit run (a span from ``worth_matching_clusters``)."""
    return _matches_in(folded, span[0], span[1], region, lenient)


def _rank(folded: str, match: PhoneMatch) -> tuple[int, int, int, int]:
    before = folded[max(0, match.start - 16) : match.start]
    service = match.number_type in _SERVICE_TYPES or bool(_SERVICE_LABEL.search(before))
    personal = bool(_PERSONAL_LABEL.search(before))
    mobile = match.number_type in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return (int(service), int(not personal), int(not mobile), match.start)


def phone_matches(text: str, region: str = "CN", *, lenient: bool = False) -> list[PhoneMatch]:
    """Every valid number in the first ``MAX_SCAN`` characters, in order of appearance.

    ``lenient`` (for a region the customer is known to be in) also takes a number that
    is only *possible* there, when it is written like a phone number: with a trunk "0"
    or "+" and separators ("07700 900461" is reserved for drama, yet written by people).
    """
    folded = fold_fullwidth(text[:MAX_SCAN])
    found: dict[int, PhoneMatch] = {}
    for count, cluster in enumerate(_CLUSTER.finditer(folded)):
        if count >= MAX_CLUSTERS:
            break
        if _worth_matching(folded, cluster):
            for match in _matches_in(folded, cluster.start(), cluster.end(), region, lenient):
                found.setdefault(match.start, match)
    return [found[start] for start in sorted(found)]


def _worth_matching(folded: str, cluster: re.Match[str]) -> bool:
    """Whether a cluster can hold a phone number; the matcher costs ~0.1 ms a call.

    Skipped: fewer than 7 digits (dates, amounts); a single digit run longer than any
    phone number written without "00" (order numbers); a run glued to letters
    ("AB-12345678", "JD1234567890"), which the matcher would reject anyway.
    """
    digits = sum(char.isdigit() for char in cluster.group())
    if digits < 7:
        return False
    if cluster.group().isdigit() and digits > 13 and not cluster.group().startswith("00"):
        return False
    before = folded[max(0, cluster.start() - 2) : cluster.start()]
    return not re.search(r"[A-Za-z]-?$", before)


def same_in_every_region(folded: str, span: tuple[int, int], matches: list[PhoneMatch]) -> bool:
    """Whether matching this cluster strictly in any other region finds these same
    numbers (but for their ``region``): each is written with a "+", so its country is
    its own whatever the region asked, and every digit the matcher saw is in one of
    them, so none is left for another region to read differently. The matcher costs
    a tenth of a millisecond a region; a number from abroad is tried in four.
    """
    if not matches or not all(match.raw.startswith("+") for match in matches):
        return False
    lo, hi = _window(folded, *span)
    covered = [(match.start, match.end) for match in matches]
    return all(any(start <= i < end for start, end in covered)
               for i in range(lo, hi) if folded[i].isdigit())


def _window(folded: str, start: int, end: int) -> tuple[int, int]:
    """The text the matcher sees of a cluster: it and its context."""
    return max(0, start - _CONTEXT), min(len(folded), end + _CONTEXT)


def _matches_in(
    folded: str, start: int, end: int, region: str, lenient: bool = False
) -> list[PhoneMatch]:
    """Numbers in one cluster; a line break inside it is tried as a space as well."""
    lo, hi = _window(folded, start, end)
    snippet = folded[lo:hi]
    found = _match_snippet(folded, snippet, lo, region, lenient)
    if "\n" in snippet[start - lo : end - lo]:
        # Mail clients wrap long lines; "138 0013\n8000" is one number. The break and
        # its indentation become as many spaces, so offsets stay those of the text.
        joined = _BREAK.sub(lambda m: " " * len(m.group()), snippet)
        known = {match.e164 for match in found}
        found += [
            m for m in _match_snippet(folded, joined, lo, region, lenient) if m.e164 not in known
        ]
    return found


def _match_snippet(
    folded: str, snippet: str, offset: int, region: str, lenient: bool = False
) -> list[PhoneMatch]:
    found = []
    leniency = phonenumbers.Leniency.POSSIBLE if lenient else phonenumbers.Leniency.VALID
    matcher = phonenumbers.PhoneNumberMatcher(
        snippet, region, leniency=leniency, max_tries=_MAX_TRIES
    )
    for match in matcher:
        start = offset + match.start
        if lenient and not (
            phonenumbers.is_valid_number(match.number)
            or (
                _PHONE_SHAPE.fullmatch(match.raw_string)
                and match.number.country_code == phonenumbers.country_code_for_region(region)
            )
        ):
            continue
        if _DATE.fullmatch(match.raw_string) or _ORDER_LABEL.search(
            folded[max(0, start - 20) : start]
        ):
            continue
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(
            PhoneMatch(
                start,
                e164,
                phonenumbers.number_type(match.number),
                raw=" ".join(match.raw_string.split()),
                end=offset + match.end,
                region=region,
            )
        )
    return found
