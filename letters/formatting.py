"""Turning stored values into what a customer reads: phone numbers, dates, quotes.

Pure functions, no clock: the same values always give the same letter, so letters
can be rendered again for staff exactly as the customer saw them.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Bidirectional overrides can make text display in a different order than it is stored.
_DROPPED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What :func:`clean_text` drops: the Unicode categories Cc (controls), Zl and Zp (line
and paragraph separators), which are these code points in every Unicode version, and
the bidi overrides; the line feed stays."""
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]+")


def readable_phone(e164: str) -> str:
    """Show a stored number the way a customer would write it: +8613800138000 → 138 0013 8000.

    Chinese numbers get the national format (that is how customers of a Chinese company
    write them); other countries keep the country code, because a wrong country code is
    exactly the kind of mistake the customer is being asked to spot. A value that is not
    a phone number is shown as it was stored.
    """
    value = e164.strip()
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def shown_phone(stored: str, written: str = "") -> str:
    """The number to repeat to the customer: as they wrote it, when that is the stored one.

    Re-formatting a number in a region we guessed is how "07700 900461" became
    "0770 090 0461" in Guangxi; the customer's own form cannot be wrong that way. The
    written form counts only while its digits still end with the stored number's
    (staff may have corrected the number since); otherwise the stored one is shown.
    """
    written = clean_line(written, limit=60)
    stored = stored.strip()
    if not written:
        return readable_phone(stored) if stored else ""
    digits = re.sub(r"\D", "", written)
    try:
        national = str(phonenumbers.parse(stored, None).national_number)
    except phonenumbers.NumberParseException:
        national = re.sub(r"\D", "", stored)
    if stored == written or (national and digits.endswith(national)):
        return written
    return readable_phone(stored) if stored else ""


def local_time(moment: datetime, time_zone: str) -> datetime:
    """Convert an aware datetime to ``time_zone`` (IANA name); otherwise leave it as it is."""
    if not time_zone or moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(ZoneInfo(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment


def format_date(moment: datetime, language: str) -> str:
    """A date as written in a letter: 2026年3月5日 / 5 March 2026 (never locale-dependent)."""
    if language == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return f"{moment.day} {MONTHS_EN[moment.month - 1]} {moment.year}"


def clean_text(value: str) -> str:
    """Drop control and bidi-override characters from customer text, keeping line breaks."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _DROPPED.sub("", value)  # one C-speed pass, not a Python test per character


def clean_line(value: str, limit: int = 200) -> str:
    """One line of customer text (a name): no line breaks, single spaces, bounded length."""
    line = _SPACES.sub(" ", clean_text(value).replace("\n", " ")).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def quote_lines(value: str, limit: int = 1200) -> list[str]:
    """The customer's words as lines for a quote block: trimmed, at most one blank line."""
    text = clean_text(value)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.split("\n") if text else []
