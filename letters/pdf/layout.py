"""The printed letter: A4, our letterhead, an address block for a window envelope.

Every letter we print or attach (acknowledgment of a posted complaint, deadline,
written resolution) shares this page so customers recognise it and the mailroom can
fold any of them into the same DL window envelope. The address block sits where
DIN 5008 form B puts it (20 mm from the left edge, 45 mm from the top, 85 × 45 mm),
which matches DL/C5 windows; the return address is one small line above it.

Everything customer-supplied enters a ``Paragraph`` only through :func:`para`, which
escapes it: reportlab reads ``<b>``, ``&`` and ``<img src=...>`` as markup otherwise
(a crash, lost words, or a local file read into the letter).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
)

from letters.pdf.linebreak import KinsokuParagraph

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm
ADDRESS_LEFT, ADDRESS_TOP, ADDRESS_WIDTH, ADDRESS_HEIGHT = 20 * mm, 45 * mm, 85 * mm, 45 * mm
FIRST_PAGE_BODY_TOP = 100 * mm  # below the address block and the reference line
LATER_PAGE_BODY_TOP = 25 * mm
BODY_BOTTOM = 22 * mm
NAVY = colors.HexColor("#1f3a5f")


@dataclass(frozen=True)
class Sender:
    """Who the letter is from, printed in the letterhead and the return-address line."""

    company: str
    department: str
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class LetterFrame:
    """What every page carries besides the body."""

    sender: Sender
    recipient_lines: Sequence[str]  # name first, then the postal address lines
    reference_label: str  # e.g. "受理编号 Reference"
    reference: str
    date_label: str
    date: str
    title: str  # the PDF's document title
    footer: str  # small print on each page; "{page}" becomes the page number


def para(text: str, style: ParagraphStyle) -> KinsokuParagraph:
    """A paragraph of plain text: escaped, line breaks kept, Chinese line-breaking rules."""
    return KinsokuParagraph(escape(text).replace("\n", "<br/>"), style)


def styles(font: str) -> dict[str, ParagraphStyle]:
    """The letter's text styles in the given (CJK) font, for Chinese and Latin alike."""
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK",
                          spaceAfter=6)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=0),
        "return": ParagraphStyle("return", parent=body, fontSize=7, leading=9, spaceAfter=8,
                                 textColor=colors.HexColor("#666666")),
        "address": ParagraphStyle("address", parent=body, leading=14, spaceAfter=0),
        "title": ParagraphStyle("title", parent=body, fontSize=14, leading=20, spaceBefore=4,
                                spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=body, fontSize=11, leading=16,
                                  spaceBefore=8, spaceAfter=4, textColor=NAVY),
        "point": ParagraphStyle("point", parent=body, leftIndent=12, spaceAfter=2),
        "answer": ParagraphStyle("answer", parent=body, leftIndent=12, spaceAfter=8,
                                 textColor=colors.HexColor("#222222")),
    }


def _draw_letterhead(canvas: Canvas, frame: LetterFrame, font: str) -> None:
    sender = frame.sender
    top = PAGE_HEIGHT - 15 * mm
    canvas.setFillColor(NAVY)
    canvas.setFont(font, 15)
    canvas.drawString(MARGIN_LEFT, top - 5 * mm, sender.company)
    canvas.setFont(font, 9)
    canvas.setFillColor(colors.HexColor("#444444"))
    lines = [sender.department, sender.address, f"{sender.phone}   {sender.email}".strip()]
    for number, line in enumerate(x for x in lines if x.strip()):
        canvas.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, top - number * 4.2 * mm, line)
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN_LEFT, top - 14 * mm, PAGE_WIDTH - MARGIN_RIGHT, top - 14 * mm)


def _draw_address_block(canvas: Canvas, frame: LetterFrame, font: str) -> None:
    """Return line and recipient inside the window, wrapped (never cut) to its width."""
    top = PAGE_HEIGHT - ADDRESS_TOP
    style = styles(font)
    window = Frame(ADDRESS_LEFT + 5 * mm, top - ADDRESS_HEIGHT, ADDRESS_WIDTH - 10 * mm,
                   ADDRESS_HEIGHT - 2 * mm, leftPadding=0, rightPadding=0, topPadding=0,
                   bottomPadding=0)
    return_line = " · ".join(x for x in (frame.sender.company, frame.sender.address) if x)
    window.addFromList([para(return_line, style["return"]),
                        para("\n".join(frame.recipient_lines), style["address"])], canvas)
    right = PAGE_WIDTH - MARGIN_RIGHT
    canvas.setFillColor(colors.black)
    canvas.setFont(font, 9)
    canvas.drawRightString(right, top - 14 * mm, f"{frame.reference_label}: {frame.reference}")
    canvas.drawRightString(right, top - 19 * mm, f"{frame.date_label}: {frame.date}")


def _draw_footer(canvas: Canvas, frame: LetterFrame, font: str) -> None:
    canvas.setFont(font, 8)
    canvas.setFillColor(colors.HexColor("#666666"))
    footer = frame.footer.replace("{page}", str(canvas.getPageNumber()))
    canvas.drawCentredString(PAGE_WIDTH / 2, 12 * mm, footer)


def _templates(index: int, frame: LetterFrame, font: str) -> list[PageTemplate]:
    """Page templates of one letter: its first page, and its continuation pages."""
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

    def first(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        _draw_letterhead(canvas, frame, font)
        _draw_address_block(canvas, frame, font)
        _draw_footer(canvas, frame, font)

    def later(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        _draw_footer(canvas, frame, font)

    first_frame = Frame(MARGIN_LEFT, BODY_BOTTOM, width,
                        PAGE_HEIGHT - FIRST_PAGE_BODY_TOP - BODY_BOTTOM, id=f"first{index}")
    later_frame = Frame(MARGIN_LEFT, BODY_BOTTOM, width,
                        PAGE_HEIGHT - LATER_PAGE_BODY_TOP - BODY_BOTTOM, id=f"later{index}")
    return [
        PageTemplate(id=f"First{index}", frames=[first_frame], onPage=first,
                     autoNextPageTemplate=f"Later{index}"),
        PageTemplate(id=f"Later{index}", frames=[later_frame], onPage=later),
    ]


def render_letters(letters: Sequence[tuple[LetterFrame, Sequence[Flowable]]], *,
                   font: str, title: str = "") -> bytes:
    """Several letters in one PDF (a print batch): each starts on its own first page.

    The body flows onto continuation pages, so a long letter is never cut short.
    """
    if not letters:
        raise ValueError("No letters to render.")
    buffer = io.BytesIO()
    first_frame = letters[0][0]
    doc = BaseDocTemplate(buffer, pagesize=A4, title=title or first_frame.title,
                          author=first_frame.sender.company)
    story: list[Flowable] = []
    for index, (frame, body) in enumerate(letters):
        doc.addPageTemplates(_templates(index, frame, font))
        if index:
            story += [NextPageTemplate(f"First{index}"), PageBreak()]
        story += list(body)
    doc.build(story)
    return buffer.getvalue()


def render_letter(frame: LetterFrame, story: Sequence[Flowable], *, font: str) -> bytes:
    """One letter: letterhead and address block on page 1, footer on every page."""
    return render_letters([(frame, story)], font=font)
