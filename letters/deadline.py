"""The deadline letter: who is handling the case and by when it will be resolved.

The process promises the customer a resolution deadline once responsibility is decided
("speed: react at once, resolve within a deadline that the customer is told"), and a
new letter whenever that deadline moves, with the reason. Both are one template pair
per language, chosen by ``changed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from letters.acknowledgment import RenderedMail, letter_language, salutation_name
from letters.formatting import clean_line, clean_text, format_date, local_time
from letters.render import render_pair, render_subject


@dataclass(frozen=True)
class DeadlineLetter:
    """What the deadline letter says, as plain values."""

    reference: str
    language: str
    customer_name: str
    department_name: str  # in the customer's language
    contact_name: str  # the person handling it, "" to leave it out
    deadline: datetime
    time_zone: str
    company_name: str
    service_phone: str
    third_party: str = ""  # e.g. the carrier, when the fault lies with a third party
    changed: bool = False
    previous_deadline: datetime | None = None
    reason: str = ""  # why the date moved, in staff's words
    post: bool = False  # a printed letter: "write to us", not "reply to this email"
    status_url: str = ""  # the customer's status page; "" leaves it out


def render_deadline(letter: DeadlineLetter) -> RenderedMail:
    """Render the first deadline letter, or the one announcing a new date."""
    language = letter_language(letter.language)
    context = _context(letter, language)
    text, html = render_pair(f"deadline.{language}", context)
    subject = render_subject(f"deadline.{language}.subject.j2", context)
    return RenderedMail(subject=subject, text=text, html=html)


def _context(letter: DeadlineLetter, language: str) -> dict[str, Any]:
    def day(moment: datetime | None) -> str:
        return format_date(local_time(moment, letter.time_zone), language) if moment else ""

    return {
        "reference": clean_line(letter.reference, limit=64),
        "name": salutation_name(letter.customer_name),
        "department": clean_line(letter.department_name, limit=80),
        "contact": clean_line(letter.contact_name, limit=80),
        "deadline": day(letter.deadline),
        "previous": day(letter.previous_deadline),
        "changed": letter.changed,
        "reason": clean_text(letter.reason)[:1000],
        "third_party": clean_line(letter.third_party, limit=80),
        "company": clean_line(letter.company_name),
        "service_phone": clean_line(letter.service_phone, limit=40),
        "post": letter.post,
        "status_url": clean_line(letter.status_url, limit=300),
    }
