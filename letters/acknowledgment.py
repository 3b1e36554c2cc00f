"""The acknowledgment letter: we got your complaint, here is what happens next,
and please give us a phone number. Rendered in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import phonenumbers

from letters.render import render_pair


@dataclass(frozen=True)
class AckLetter:
    reference: str
    language: str  # "zh" or "en"
    customer_name: str
    summary: str
    phone_on_file: str  # E.164 or ""
    received_at: datetime
    review_days: int
    company_name: str
    service_phone: str


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


SUBJECTS = {
    "zh": "[{reference}] 我们已收到您的投诉",
    "en": "[{reference}] We have received your complaint",
}


def readable_phone(e164: str) -> str:
    """Show a stored number the way the customer would write it (138 0013 8000)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        national = str(number.national_number)
        if len(national) == 11 and national.startswith("1"):
            return f"{national[:3]} {national[3:7]} {national[7:]}"
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def render_acknowledgment(letter: AckLetter) -> RenderedMail:
    language = letter.language if letter.language in SUBJECTS else "en"
    context = {
        "letter": letter,
        "phone": readable_phone(letter.phone_on_file) if letter.phone_on_file else "",
        "received": letter.received_at.strftime("%Y年%m月%d日" if language == "zh" else "%d %B %Y"),
    }
    text, html = render_pair(f"acknowledgment.{language}", context)
    subject = SUBJECTS[language].format(reference=letter.reference)
    return RenderedMail(subject=subject, text=text, html=html)
