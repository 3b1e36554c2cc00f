"""The shared layout of every printed letter: letterhead, window address block, body.

A4, with the recipient's address where a DIN C5/C6 window envelope shows it (DIN 5008
form B: 20 mm from the left edge, 45 mm from the top, 85 × 45 mm, with a return line
above it), so the letter is folded into the envelope with no address label. All
customer values go through :func:`xml.sax.saxutils.escape` before they enter a
``Paragraph``, whose mini-markup would otherwise read ``<b>`` or ``&`` as formatting.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph

from letters.pdf.fonts import letter_font

# DIN 5008 form B window position (the C5/C6/DL window of most envelopes).
WINDOW_LEFT = 20 * mm
WINDOW_TOP = 45 * mm
WINDOW_WIDTH = 85 * mm
WINDOW_HEIGHT = 45 * mm
BODY_TOP = 105 * mm  # first body line, below the window and the fold mark (105 mm)
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm


@dataclass(frozen=True)
class LetterContent:
    """A printed letter as plain values: all text is plain text, never markup."""

    language: str
    company: str
    company_lines: tuple[str, ...]  # our address and phone under the letterhead
    return_line: str  # small line above the window: our short address
    recipient: tuple[str, ...]  # name and address lines in the window
    reference_label: str
    reference: str
    date: str
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: str


def render_letters(letters: list[LetterContent], *, font_path: str = "") -> bytes:
    """Render letters into one PDF, each starting on a new page."""
    font = letter_font(font_path).name
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle("Letters")
    for letter in letters:
        _draw(canvas, letter, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "body": base,
        "subject": ParagraphStyle("subject", parent=base, fontSize=12, leading=18),
        "window": ParagraphStyle("window", parent=base, fontSize=10, leading=13),
        "small": ParagraphStyle("small", parent=base, fontSize=6.5, leading=8),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _draw(canvas: Canvas, letter: LetterContent, font: str) -> None:
    width, height = A4
    styles = _styles(font)
    # Letterhead.
    canvas.setFont(font, 16)
    canvas.drawString(MARGIN_LEFT, height - 20 * mm, letter.company)
    canvas.setFont(font, 8)
    for index, line in enumerate(letter.company_lines):
        canvas.drawRightString(width - MARGIN_RIGHT, height - (15 + 4 * index) * mm, line)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_LEFT, height - 24 * mm, width - MARGIN_RIGHT, height - 24 * mm)
    # Fold marks (DIN 5008: 105 mm and 210 mm) and the hole mark.
    for y in (105 * mm, 210 * mm):
        canvas.line(3 * mm, height - y, 8 * mm, height - y)
    # The window: return line, then the recipient.
    window = Frame(
        WINDOW_LEFT,
        height - WINDOW_TOP - WINDOW_HEIGHT,
        WINDOW_WIDTH,
        WINDOW_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        showBoundary=0,
    )
    window.addFromList(
        [
            _p(letter.return_line, styles["small"]),
            _p("\n".join(letter.recipient), styles["window"]),
        ],
        canvas,
    )
    # Reference and date to the right of the window.
    canvas.setFont(font, 9.5)
    info_x = 125 * mm
    canvas.drawString(info_x, height - 50 * mm, f"{letter.reference_label}{letter.reference}")
    canvas.drawString(info_x, height - 56 * mm, letter.date)
    # Body.
    body = Frame(
        MARGIN_LEFT,
        20 * mm,
        width - MARGIN_LEFT - MARGIN_RIGHT,
        height - BODY_TOP - 20 * mm,
        showBoundary=0,
    )
    story = [_p(letter.subject, styles["subject"]), _p(letter.salutation, styles["body"])]
    story += [_p(text, styles["body"]) for text in letter.paragraphs]
    story += [_p(letter.closing, styles["body"]), _p(letter.signature, styles["body"])]
    for flowable in story:
        flowable.spaceAfter = 6  # type: ignore[attr-defined]
    body.addFromList(story, canvas)
