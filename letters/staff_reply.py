"""A reply staff wrote to the customer, in the customer's language.

Staff write the body themselves (from a reply template if they like); the letter only
adds what every letter of ours carries: the reference in the subject, how to answer,
and who wrote. The staff text is data, never template source, and the HTML part
escapes it like any customer text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from letters.acknowledgment import RenderedMail, letter_language
from letters.formatting import clean_line, clean_text
from letters.render import render_pair, render_subject

MAX_TEXT = 20_000


@dataclass(frozen=True)
class StaffReplyLetter:
    """What the reply says: staff's text and who signs it."""

    reference: str
    language: str
    case_subject: str  # the complaint's subject, repeated so the customer sees the thread
    text: str  # staff's own words
    signed_by: str  # the member of staff's display name
    company_name: str
    service_phone: str
    attachments: tuple[str, ...] = ()  # file names, listed under the text
    post: bool = False  # a printed letter: "write to us", not "reply to this email"
    status_url: str = ""  # the customer's status page; "" leaves it out


def reply_subject(reference: str, language: str, case_subject: str) -> str:
    """The subject: our reference first (replies thread by it), then the customer's."""
    language = letter_language(language)
    subject = clean_line(case_subject, limit=120)
    return render_subject(f"staff_reply.{language}.subject.j2",
                          {"reference": clean_line(reference, limit=64), "subject": subject})


def render_staff_reply(letter: StaffReplyLetter) -> RenderedMail:
    """Render the reply in the customer's language (text and escaped HTML)."""
    language = letter_language(letter.language)
    body = clean_text(letter.text).strip()[:MAX_TEXT]
    context: dict[str, Any] = {
        "reference": clean_line(letter.reference, limit=64),
        "body_lines": body.split("\n"),
        "body": body,
        "signed_by": clean_line(letter.signed_by, limit=100),
        "company": clean_line(letter.company_name),
        "service_phone": clean_line(letter.service_phone, limit=40),
        "attachments": [clean_line(name, limit=120) for name in letter.attachments],
        "post": letter.post,
        "status_url": clean_line(letter.status_url, limit=300),
    }
    text, html = render_pair(f"staff_reply.{language}", context)
    return RenderedMail(reply_subject(letter.reference, language, letter.case_subject),
                        text, html)
