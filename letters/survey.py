"""The satisfaction follow-up, sent about a week after a case closes.

The process asks the customer about both the attitude of our staff and the result;
their answers are part of how the customer-service team is evaluated. Answering must
take one click (a signed link per score, no login) or one reply ("5", "满意"), so the
letter offers both and says what each score means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from letters.acknowledgment import RenderedMail, letter_language, salutation_name
from letters.formatting import clean_line, format_date, local_time
from letters.render import render_pair, render_subject

SCORE_LABELS = {
    "zh": {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"},
    "en": {5: "Very satisfied", 4: "Satisfied", 3: "Neither", 2: "Dissatisfied",
           1: "Very dissatisfied"},
}


@dataclass(frozen=True)
class SurveyLetter:
    """What the survey mail says; ``links`` maps each score 1–5 to its signed address."""

    reference: str
    language: str
    customer_name: str
    closed_at: datetime
    time_zone: str
    links: Mapping[int, str]
    company_name: str
    status_url: str = ""  # the customer's status page; "" leaves it out


def render_survey(letter: SurveyLetter) -> RenderedMail:
    """Render the survey in the customer's language, best score first."""
    language = letter_language(letter.language)
    if sorted(letter.links) != [1, 2, 3, 4, 5]:
        raise ValueError("The survey needs one link for each score from 1 to 5.")
    context: dict[str, Any] = {
        "reference": clean_line(letter.reference, limit=64),
        "name": salutation_name(letter.customer_name),
        "closed": format_date(local_time(letter.closed_at, letter.time_zone), language),
        "scores": [(score, SCORE_LABELS[language][score], letter.links[score])
                   for score in (5, 4, 3, 2, 1)],
        "company": clean_line(letter.company_name),
        "status_url": clean_line(letter.status_url, limit=300),
    }
    text, html = render_pair(f"survey.{language}", context)
    return RenderedMail(render_subject(f"survey.{language}.subject.j2", context), text, html)
