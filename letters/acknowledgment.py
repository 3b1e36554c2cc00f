"""The acknowledgment letter: we got your complaint, here is what happens next,
and please give us a phone number (or confirm the one we have).

The business rule behind it: a complaint that arrives in writing is answered at once,
shows that we mean to solve it, and asks for a contact phone number for the follow-up.
The letter repeats only the reference and the customer's own words, never other case
details, because the sender's address may be forged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from letters.formatting import (
    clean_line,
    format_date,
    local_time,
    quote_lines,
    readable_phone,
    shown_phone,
)
from letters.render import render_pair, render_subject

__all__ = ["AckLetter", "RenderedMail", "readable_phone", "render_acknowledgment"]

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class AckLetter:
    """Everything the acknowledgment says, as plain values (no database objects)."""

    reference: str
    language: str  # "zh" or "en"; anything else is answered in English
    customer_name: str  # "" gives a neutral salutation
    summary: str  # the customer's own words, shown as a quote
    phone_on_file: str  # E.164, or "" to ask for a number
    received_at: datetime
    review_days: int
    company_name: str
    service_phone: str
    time_zone: str = ""  # IANA name for the date shown (e.g. "Asia/Shanghai"); "" = as given
    phone_written: str = ""  # the number as the customer wrote it, repeated as it is
    status_url: str = ""  # the customer's status page (pipeline.links.status); "" leaves it out


@dataclass(frozen=True)
class RenderedMail:
    """A rendered letter: subject, plain text, and the same content as HTML."""

    subject: str
    text: str
    html: str | None


def letter_language(language: str) -> str:
    """Map a stored language tag (zh, zh-CN, zh_Hans, en-GB …) to a template language."""
    base = language.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else "en"


def salutation_name(customer_name: str) -> str:
    """The name to greet, or "" for a neutral greeting (also when the "name" is an address)."""
    name = clean_line(customer_name, limit=80)
    return "" if "@" in name else name


def render_acknowledgment(letter: AckLetter) -> RenderedMail:
    """Render the acknowledgment in the letter's language, as text and HTML."""
    language = letter_language(letter.language)
    context = _context(letter, language)
    text, html = render_pair(f"acknowledgment.{language}", context)
    subject = render_subject(f"acknowledgment.{language}.subject.j2", context)
    return RenderedMail(subject=subject, text=text, html=html)


def _context(letter: AckLetter, language: str) -> dict[str, Any]:
    phone = shown_phone(letter.phone_on_file, letter.phone_written)
    return {
        "reference": clean_line(letter.reference, limit=64),
        "name": salutation_name(letter.customer_name),
        "summary_lines": quote_lines(letter.summary),
        "phone": phone,
        "received": format_date(local_time(letter.received_at, letter.time_zone), language),
        "review_days": max(1, letter.review_days),
        "company": clean_line(letter.company_name),
        "service_phone": clean_line(letter.service_phone, limit=40),
        "status_url": clean_line(letter.status_url, limit=300),
    }
