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
