"""Letters to customers who gave no working email address: into the print queue.

Every customer letter has a text rendering (the email's plain-text part); for post it
is laid out on our letterhead with the window-envelope address and queued for the
next print batch, in the transaction of the decision it announces, like the email
would have been. The written-resolution notice is already a PDF and is queued as is.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from config.settings import Settings
from letters.acknowledgment import RenderedMail, letter_language
from letters.formatting import clean_line, format_date, local_time
from letters.pdf.acknowledgment import recipient_lines
from letters.pdf.fonts import FontSource
from letters.pdf.layout import Sender
from letters.pdf.letter import LetterContent, render_letters, text_letter
from pipeline.cases.events import record_event
from pipeline.db.base import utcnow
from pipeline.db.models import Case, PrintLetter
from pipeline.outbound.printing import queue_print_letter


def _content(case: Case, settings: Settings, rendered: RenderedMail) -> LetterContent:
    """The text letter as a printed one: salutation, paragraphs, signature."""
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
    return Sender(company=clean_line(settings.company_name), department="",
                  address=clean_line(settings.company_postal_address),
                  phone=clean_line(settings.service_phone, limit=40), email="")


def text_letter_pdf(*, case: Case, settings: Settings, rendered: RenderedMail) -> bytes:
    """A text letter on our letterhead, as the print queue holds it."""
    return render_letters([_content(case, settings, rendered)],
                          fonts=FontSource.from_settings(settings))


def queue_post(
    session: Session, *, case: Case, settings: Settings, kind: str,
    rendered: RenderedMail | None = None, pdf: bytes | None = None,
) -> PrintLetter:
    """Queue a letter for printing: a rendered text letter, or a ready PDF (the notice)."""
    if pdf is None:
        assert rendered is not None
        pdf = text_letter_pdf(case=case, settings=settings, rendered=rendered)
    letter = queue_print_letter(
        session, case=case, kind=kind, language=letter_language(case.language),
        recipient="\n".join(recipient_lines(case.customer_name, case.customer_address)),
        pdf=pdf)
    record_event(session, case=case, action="letter_queued_for_print", by="system", kind=kind)
    return letter
