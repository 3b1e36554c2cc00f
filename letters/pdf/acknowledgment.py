"""The printed acknowledgment: we received your letter, here is your reference, please
give us a phone number. Sent by post when a letter gives no e-mail address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from letters.acknowledgment import letter_language, salutation_name
from letters.formatting import clean_line, format_date, local_time, shown_phone
from letters.pdf.layout import Sender
from letters.pdf.letter import LetterContent
from letters.render import render_subject, render_template
from letters.status_link import status_paragraph


@dataclass(frozen=True)
class PostalAck:
    """What the printed acknowledgment says, as plain values."""

    reference: str
    language: str
    customer_name: str
    address: str  # lines separated by "\n" or ", "
    letter_date: str  # ISO date written on the customer's letter, or ""
    received_at: datetime
    phone_on_file: str
    review_days: int
    company_name: str
    company_address: str
    service_phone: str
    time_zone: str = ""
    phone_written: str = ""  # the number as the customer wrote it
    # False for a complaint taken on the phone or at the counter: we thank them for
    # the complaint we recorded, not for a letter they never wrote.
    by_letter: bool = True
    status_url: str = ""  # the customer's status page; "" leaves it out


def recipient_lines(name: str, address: str) -> tuple[str, ...]:
    """Name, then the address split into at most five window lines."""
    parts = [p.strip() for p in address.replace("\n", ",").split(",") if p.strip()]
    if len(parts) == 1 and len(parts[0]) > 24:  # a Chinese address: one long line
        text = parts[0]
        parts = [text[i : i + 24] for i in range(0, len(text), 24)]
    return tuple(line for line in (clean_line(name, limit=60), *parts[:5]) if line)


LABELS = {"zh": ("案件编号", "日期"), "en": ("Reference", "Date")}


def acknowledgment_content(ack: PostalAck) -> LetterContent:
    """The letter's text from ``letters/templates/postal_ack.LANG.letter.j2``.

    The template is plain text in blocks separated by blank lines: the salutation
    first, then the paragraphs, the closing and the signature last.
    """
    language = letter_language(ack.language)
    name = salutation_name(ack.customer_name)
    company = clean_line(ack.company_name)
    service_phone = clean_line(ack.service_phone, limit=40)
    sender = Sender(company=company, department="", address=clean_line(ack.company_address),
                    phone=service_phone, email="")
    context = {
        "name": name,
        "reference": clean_line(ack.reference, limit=64),
        "received": format_date(local_time(ack.received_at, ack.time_zone), language),
        "letter_date": clean_line(ack.letter_date, limit=40),
        "phone": shown_phone(ack.phone_on_file, ack.phone_written),
        "review_days": max(1, ack.review_days),
        "company": company,
        "service_phone": service_phone,
        "by_letter": ack.by_letter,
    }
    text = render_template(f"postal_ack.{language}.letter.j2", context)
    blocks = [b.strip() for b in text.strip().split("\n\n") if b.strip()]
    today = format_date(local_time(datetime.now(ack.received_at.tzinfo), ack.time_zone), language)
    reference_label, date_label = LABELS[language]
    return LetterContent(
        language=language,
        sender=sender,
        recipient=recipient_lines(name, ack.address),
        reference_label=reference_label,
        reference=ack.reference,
        date_label=date_label,
        date=today,
        subject=render_subject(f"postal_ack.{language}.subject.j2", context),
        salutation=blocks[0] if blocks else "",
        paragraphs=tuple(blocks[1:-2]) + _status(ack, language),
        closing=blocks[-2] if len(blocks) > 2 else "",
        signature=blocks[-1] if len(blocks) > 1 else "",
    )


def _status(ack: PostalAck, language: str) -> tuple[str, ...]:
    """The status-page paragraph, one printed paragraph per line (none without a link)."""
    return tuple(line for line in status_paragraph(language, ack.status_url).split("\n")
                 if line)
