"""Letters to customers who gave no working email address: into the print queue.

Every customer letter has a text rendering (the email's plain-text part); for post it
is laid out on our letterhead with the window-envelope address and queued for the
next print batch, in the transaction of the decision it announces, like the email
would have been. The written-resolution notice is already a PDF and is queued as is.

The PDF modules (reportlab, pypdf) are imported where a letter is laid out, not with
this module: every process that can open a case imports it, and most never print (a
poller's start-up took a fifth of a second longer for them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from config.settings import Settings
from letters.acknowledgment import RenderedMail, letter_language
from letters.formatting import clean_line, format_date, local_time
from pipeline.db.base import utcnow
from pipeline.db.models import Case, PrintLetter
from pipeline.db.trail import record_event
from pipeline.links.status import status_url

if TYPE_CHECKING:
    from letters.pdf.layout import Sender
    from letters.pdf.letter import LetterContent


def _content(case: Case, settings: Settings, rendered: RenderedMail) -> LetterContent:
    """The text letter as a printed one: salutation, paragraphs, signature."""
    from letters.pdf.acknowledgment import recipient_lines
    from letters.pdf.letter import text_letter

    language = letter_language(case.language)
    return text_letter(
        language=language, sender=postal_sender(settings),
        recipient=recipient_lines(case.customer_name, case.customer_address),
        reference=case.reference,
        date=format_date(local_time(utcnow(), settings.time_zone), language),
        subject=rendered.subject, text=rendered.text,
    )


def postal_sender(settings: Settings) -> Sender:
    """Us, as printed letters show us: name, postal address and service phone."""
    from letters.pdf.layout import Sender

    return Sender(company=clean_line(settings.company_name), department="",
                  address=clean_line(settings.company_postal_address),
                  phone=clean_line(settings.service_phone, limit=40), email="")


def text_letter_pdf(*, case: Case, settings: Settings, rendered: RenderedMail) -> bytes:
    """A text letter on our letterhead, as the print queue holds it."""
    from letters.pdf.fonts import FontSource
    from letters.pdf.letter import render_letters

    return render_letters([_content(case, settings, rendered)],
                          fonts=FontSource.from_settings(settings))


def queue_post(
    session: Session, *, case: Case, settings: Settings, kind: str,
    rendered: RenderedMail | None = None, pdf: bytes | None = None,
) -> PrintLetter:
    """Queue a letter for printing: a rendered text letter, or a ready PDF (the notice)."""
    from letters.pdf.acknowledgment import recipient_lines
    from pipeline.outbound.printing import queue_print_letter

    if pdf is None:
        assert rendered is not None
        pdf = text_letter_pdf(case=case, settings=settings, rendered=rendered)
    letter = queue_print_letter(
        session, case=case, kind=kind, language=letter_language(case.language),
        recipient="\n".join(recipient_lines(case.customer_name, case.customer_address)),
        pdf=pdf)
    record_event(session, case=case, action="letter_queued_for_print", by="system", kind=kind)
    return letter


def queue_postal_acknowledgment(
    session: Session, *, case: Case, letter_date: str, settings: Settings
) -> PrintLetter:
    """Render the printed acknowledgment and put it in the print queue.

    For a customer with no working email address but a postal one: a letter, or a
    complaint taken on the phone or at the counter (the letter then thanks them for
    the complaint, not for a letter).
    """
    from letters.pdf.acknowledgment import PostalAck, acknowledgment_content, recipient_lines
    from letters.pdf.fonts import FontSource
    from letters.pdf.letter import render_letters
    from pipeline.outbound.printing import queue_print_letter

    ack = PostalAck(
        reference=case.reference,
        language=case.language,
        customer_name=case.customer_name,
        address=case.customer_address,
        letter_date=letter_date,
        received_at=case.received_at,
        phone_on_file=case.customer_phone,
        phone_written=case.customer_phone_written,
        review_days=settings.review_days,
        company_name=settings.company_name,
        company_address=settings.company_postal_address,
        service_phone=settings.service_phone,
        time_zone=settings.time_zone,
        by_letter=case.channel == "letter",
        status_url=status_url(settings, case.id),
    )
    content = acknowledgment_content(ack)
    pdf = render_letters([content], fonts=FontSource.from_settings(settings))
    letter = queue_print_letter(
        session,
        case=case,
        kind="acknowledgment",
        language=content.language,
        recipient="\n".join(recipient_lines(case.customer_name, case.customer_address)),
        pdf=pdf,
    )
    record_event(session, case=case, action="acknowledgment_queued_for_print", by="system")
    return letter
