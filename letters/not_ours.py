"""The written explanation when a complaint is not the company's responsibility.

The process asks staff to "explain patiently and in writing" and to get the customer's
acknowledgement before closing, so this letter gives the explanation in staff's words,
says what the customer can still do, and invites a reply if they see it differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from letters.acknowledgment import RenderedMail, letter_language, salutation_name
from letters.formatting import clean_line, clean_text
from letters.render import render_pair, render_subject


@dataclass(frozen=True)
class NotOursLetter:
    """What the explanation letter says."""

    reference: str
    language: str
    customer_name: str
    explanation: str  # staff's words: why this is not our responsibility, who can help
    company_name: str
    service_phone: str
    post: bool = False  # a printed letter: "write to us", not "reply to this email"
    status_url: str = ""  # the customer's status page; "" leaves it out


def render_not_ours(letter: NotOursLetter) -> RenderedMail:
    """Render the explanation in the customer's language."""
    language = letter_language(letter.language)
    context: dict[str, Any] = {
        "reference": clean_line(letter.reference, limit=64),
        "name": salutation_name(letter.customer_name),
        "explanation": clean_text(letter.explanation).strip()[:5000],
        "company": clean_line(letter.company_name),
        "service_phone": clean_line(letter.service_phone, limit=40),
        "post": letter.post,
        "status_url": clean_line(letter.status_url, limit=300),
    }
    text, html = render_pair(f"not_ours.{language}", context)
    return RenderedMail(render_subject(f"not_ours.{language}.subject.j2", context), text, html)
