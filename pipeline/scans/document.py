"""A letter's files (images, PDFs) turned into page texts, in page order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from PIL import Image

from pipeline.documents.images import image_pages
from pipeline.documents.pdftext import pdf_pages
from pipeline.documents.reasons import Unreadable, both
from pipeline.scans.ocr import PageText, ocr_page


@dataclass(frozen=True)
class ScanFile:
    name: str
    content_type: str
    payload: bytes


@dataclass
class DocumentText:
    """All pages' text; ``confidence`` is the pages' mean (a text-layer page counts as 1)."""

    pages: list[PageText] = field(default_factory=list)
    # Per page: which file (index in the letter's files) and which page of that file.
    origins: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages if page.text)

    @property
    def confidence(self) -> float:
        if not self.pages:
            return 0.0
        return sum(page.confidence for page in self.pages) / len(self.pages)


def is_pdf(item: ScanFile) -> bool:
    return item.content_type == "application/pdf" or item.payload[:5] == b"%PDF-"


def page_images(item: ScanFile, max_pages: int) -> Iterator[Image.Image | str]:
    """Each page of a file: a text layer (str) or an image to OCR."""
    if is_pdf(item):
        for page in pdf_pages(item.payload, name=item.name, max_pages=max_pages):
            yield page.text if page.text else page.image  # type: ignore[misc]
    else:
        yield from image_pages(item.payload, name=item.name, max_pages=max_pages)


def read_document(
    files: list[ScanFile], *, max_pages: int = 50, page_seconds: float = 30.0
) -> DocumentText:
    """Read every page of every file; refuse the whole letter if any file is unreadable."""
    document = DocumentText()
    for file_index, item in enumerate(files):
        for frame, page in enumerate(page_images(item, max_pages)):
            if len(document.pages) >= max_pages:
                raise Unreadable(
                    both(
                        f"The letter has more than {max_pages} pages.",
                        f"信件超过 {max_pages} 页。",
                    )
                )
            if isinstance(page, str):
                document.pages.append(PageText(text=page, confidence=1.0, angle=0, seconds=0.0))
            else:
                document.pages.append(ocr_page(page, time_limit=page_seconds))
            document.origins.append((file_index, frame))
    if not document.text.strip():
        raise Unreadable(
            both("No text could be read from the letter.", "未能从信件中识别出任何文字。")
        )
    return document
