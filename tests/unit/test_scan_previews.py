"""Page previews are drawn in the frame OCR read: same page, same size limit, same turn.

So the boxes OCR returned (in that frame's pixels) land on the same words in the PNG.
No OCR runs here: the preview is compared with the pages OCR would be given.
"""

from __future__ import annotations

import io

from PIL import Image

from pipeline.scans.document import ScanFile, page_images
from pipeline.scans.previews import PREVIEW_SIDE, _encode, page_image
from tests.support.scans import to_image_pdf


def pages(size: tuple[int, int], count: int) -> list[Image.Image]:
    return [Image.new("L", size, 255 - 40 * i) for i in range(count)]


def test_a_pdf_page_is_rendered_as_ocr_saw_it() -> None:
    item = ScanFile("scan.pdf", "application/pdf", to_image_pdf(pages((1240, 1754), 2)))
    ocr_pages = list(page_images(item, 50))
    for frame, seen in enumerate(ocr_pages):
        assert isinstance(seen, Image.Image)
        assert page_image(item, frame, 0).size == seen.size


def test_a_tiff_frame_and_a_turned_page_keep_ocrs_geometry() -> None:
    out = io.BytesIO()
    first, second = pages((3000, 2000), 2)
    first.save(out, format="TIFF", save_all=True, append_images=[second])
    item = ScanFile("scan.tif", "image/tiff", out.getvalue())
    seen = list(page_images(item, 50))
    assert isinstance(seen[1], Image.Image) and max(seen[1].size) == 2400  # bounded for OCR
    assert page_image(item, 1, 0).size == seen[1].size
    assert page_image(item, 1, 90).size == seen[1].size[::-1]  # OCR turned it a quarter
    assert page_image(item, 1, 0).getpixel((5, 5)) == 215  # the second frame, not the first


def test_the_preview_is_a_bounded_grey_png() -> None:
    png = _encode(Image.new("RGB", (2400, 1600), (200, 10, 10)))
    image = Image.open(io.BytesIO(png))
    assert png.startswith(b"\x89PNG") and image.format == "PNG" and image.mode == "L"
    assert max(image.size) == PREVIEW_SIDE and abs(image.size[0] / image.size[1] - 1.5) < 0.01
