"""Printed letters written as plain text, on our one letter page.

The acknowledgment of a posted complaint and every letter that goes by post instead of
email (deadline, not ours, survey) are plain text: a subject, a salutation, paragraphs
and a signature. They are laid out on the same page as the written-resolution notice
(:mod:`letters.pdf.layout`: letterhead, window-envelope address block, footer), so a
customer recognises all of them and the mailroom folds any into the same envelope.
Every value goes through :func:`letters.pdf.layout.para`, which escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.platypus import Flowable

from letters.pdf.fonts import FontSource, letter_font
from letters.pdf.layout import LetterFrame, Sender, para, styles
from letters.pdf.layout import render_letters as render_pages


@dataclass(frozen=True)
class LetterContent:
    """A printed letter as plain values: all text is plain text, never markup."""

    language: str
    sender: Sender
    recipient: tuple[str, ...]  # name and address lines in the window
    reference_label: str
    reference: str
    date_label: str
    date: str
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: str


def text_letter(*, language: str, sender: Sender, recipient: tuple[str, ...], reference: str,
                date: str, subject: str, text: str) -> LetterContent:
    """A letter written as an email's plain text, on paper: salutation, paragraphs, signature.

    The subject loses its "[reference] " prefix (the reference has its own line).
    """
    blocks = [b.strip() for b in text.strip().split("\n\n") if b.strip()]
    reference_label, date_label = TEXT_LABELS.get(language, TEXT_LABELS["en"])
    return LetterContent(
        language=language, sender=sender, recipient=recipient, reference_label=reference_label,
        reference=reference, date_label=date_label, date=date,
        subject=subject.split("] ", 1)[-1], salutation=blocks[0] if blocks else "",
        paragraphs=tuple(blocks[1:-1]), closing="", signature=blocks[-1] if len(blocks) > 1 else "",
    )


TEXT_LABELS = {"zh": ("案件编号", "日期"), "en": ("Reference", "Date")}


def _frame(letter: LetterContent) -> LetterFrame:
    return LetterFrame(sender=letter.sender, recipient_lines=letter.recipient,
                       reference_label=letter.reference_label, reference=letter.reference,
                       date_label=letter.date_label, date=letter.date, title=letter.subject,
                       footer="")


def _story(letter: LetterContent, font: str) -> list[Flowable]:
    style = styles(font)
    texts = [(letter.subject, "title"), (letter.salutation, "body"),
             *((text, "body") for text in letter.paragraphs),
             (letter.closing, "body"), (letter.signature, "body")]
    return [para(text, style[kind]) for text, kind in texts if text]


def render_letters(letters: Sequence[LetterContent], *, fonts: FontSource | str = "") -> bytes:
    """Render letters into one PDF, each starting on a new page."""
    font = letter_font(fonts).name
    return render_pages([(_frame(letter), _story(letter, font)) for letter in letters],
                        font=font, title="Letters")
