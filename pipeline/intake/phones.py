"""Phone numbers in free text, with the phonenumbers library.

Customers write numbers every way: 138 0013 8000, +86 138-0013-8000, full-width
digits, split over a line break. Dates and long order numbers must not come out as
phone numbers, so only *valid* numbers are kept, and digit runs longer than any
phone number are skipped.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

MAX_SCAN = 20_000
_SPLIT = re.compile(r"(\d)[ \t]*\r?\n[ \t]*(\d)")
_LONG_RUN = re.compile(r"\d{14,}")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_SCAN])
    return _LONG_RUN.sub(" ", text)


def find_phones(text: str, region: str = "CN") -> tuple[str, ...]:
    """Valid phone numbers in E.164, in order of appearance, without duplicates."""
    found: list[str] = []
    for candidate in (_normalise(text), _SPLIT.sub(r"\1 \2", _normalise(text))):
        for match in phonenumbers.PhoneNumberMatcher(
            candidate, region, leniency=phonenumbers.Leniency.VALID
        ):
            if _looks_like_date(match.raw_string):
                continue
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return tuple(found)


def _looks_like_date(raw: str) -> bool:
    return bool(re.fullmatch(r"\s*(19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\s*", raw))
