"""PDF letters: the text layer where a page has one, a rendered image where it has not.

A scanner's PDF is usually images only; a letter typed and saved as PDF has text. We
read the text layer with pdfium (fast, exact) and render only image pages for OCR,
at a bounded resolution. Encrypted, damaged and overlong PDFs are refused with a
reason before any page is rendered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

from pipeline.documents.images import bounded
from pipeline.documents.reasons import Unreadable, both

RENDER_DPI = 200
# A page with fewer characters than this in its text layer is treated as an image.
MIN_TEXT_CHARS = 20


@dataclass
class PdfPage:
    """One page: its text layer if it has one, else a rendered image to OCR."""

    number: int
    text: str = ""
    image: Image.Image | None = None


def open_pdf(payload: bytes, *, name: str = "", max_pages: int = 50) -> pdfium.PdfDocument:
    """Open a PDF, refusing empty, damaged, encrypted and overlong files with a reason."""
    label = name or "the PDF"
    if not payload:
        raise Unreadable(both(f"{label} is empty (0 bytes).", f"{label} 是空文件（0 字节）。"))
    try:
        document = pdfium.PdfDocument(payload)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower() or "security" in str(err).lower():
            raise Unreadable(
                both(
                    f"{label} is protected by a password and cannot be opened.",
                    f"{label} 有密码保护，无法打开。",
                )
            ) from err
        raise Unreadable(
            both(f"{label} is damaged and cannot be read.", f"{label} 已损坏，无法读取。")
        ) from err
    pages = len(document)
    if pages == 0:
        document.close()
        raise Unreadable(both(f"{label} has no pages.", f"{label} 没有任何页面。"))
    if pages > max_pages:
        document.close()
        raise Unreadable(
            both(
                f"{label} has {pages} pages; a letter has at most {max_pages}. "
                "Please split it or enter it by hand.",
                f"{label} 共 {pages} 页，信件最多 {max_pages} 页，请拆分或手工录入。",
            )
        )
    return document


def pdf_pages(payload: bytes, *, name: str = "", max_pages: int = 50) -> Iterator[PdfPage]:
    """Each page's text layer, or its image rendered at ``RENDER_DPI`` when it has none."""
    document = open_pdf(payload, name=name, max_pages=max_pages)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                text = page.get_textpage().get_text_bounded().strip()
                if len(text) >= MIN_TEXT_CHARS:
                    yield PdfPage(number=index + 1, text=text)
                    continue
                width = max(page.get_width(), 1.0)
                # Cap the scale so an oversized page cannot render to a huge bitmap.
                scale = min(RENDER_DPI / 72, 3000 / width)
                image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
                yield PdfPage(number=index + 1, image=bounded(image))
            finally:
                page.close()
    except pdfium.PdfiumError as err:
        raise Unreadable(
            both(f"{name or 'The PDF'} is damaged and cannot be read.", "PDF 已损坏，无法读取。")
        ) from err
    finally:
        document.close()
