"""Wording for the dialogue after the written notice: revisions, reminders, staff notes.

* The line a revised notice (v2, v3, ...) opens with, naming the notice it replaces
  by number and date, so the customer can tell the two apart and both stay true.
* The one reminder to a customer who has not answered the notice, naming the date
  the case will be closed.
* Short bilingual notes to staff: a case sent back to review, a dispute that reached
  a supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from letters.acknowledgment import RenderedMail, letter_language, salutation_name
from letters.formatting import clean_line, clean_text, format_date, local_time
from letters.render import render_pair, render_subject, render_template


def revision_line(*, language: str, number: int, previous_number: int, previous_date: str) -> str:
    """The sentence a revised notice opens with (for the PDF and the mail alike)."""
    return render_template(f"notice_revision.{letter_language(language)}.txt.j2", {
        "number": number, "previous_number": previous_number,
        "previous_date": clean_line(previous_date, limit=40)}).strip()


@dataclass(frozen=True)
class AgreementReminder:
    """The one reminder before a silent case is closed."""

    reference: str
    language: str
    customer_name: str
    notice_date: datetime
    closes_on: datetime
    time_zone: str
    company_name: str
    service_phone: str
    post: bool = False  # a printed letter: "write to us", not "reply to this email"
    status_url: str = ""  # the customer's status page; "" leaves it out


def render_agreement_reminder(letter: AgreementReminder) -> RenderedMail:
    """Render the reminder in the customer's language."""
    language = letter_language(letter.language)
    context: dict[str, Any] = {
        "reference": clean_line(letter.reference, limit=64),
        "name": salutation_name(letter.customer_name),
        "notice_date": format_date(local_time(letter.notice_date, letter.time_zone), language),
        "closes_on": format_date(local_time(letter.closes_on, letter.time_zone), language),
        "company": clean_line(letter.company_name),
        "service_phone": clean_line(letter.service_phone, limit=40),
        "post": letter.post,
        "status_url": clean_line(letter.status_url, limit=300),
    }
    text, html = render_pair(f"agreement_reminder.{language}", context)
    subject = render_subject(f"agreement_reminder.{language}.subject.j2", context)
    return RenderedMail(subject, text, html)


def staff_subject(name: str, *, reference: str, subject: str) -> str:
    """The subject of a note to staff (``staff_<name>.subject.j2``): reference first."""
    return render_subject(f"staff_{name}.subject.j2", {
        "reference": clean_line(reference, limit=64), "subject": clean_line(subject, limit=150)})


def staff_note(name: str, **values: Any) -> str:
    """A bilingual note to staff (``staff_<name>.txt.j2``); customer text is cleaned."""
    cleaned = {key: clean_text(value)[:2000] if isinstance(value, str) else value
               for key, value in values.items()}
    return render_template(f"staff_{name}.txt.j2", cleaned)
