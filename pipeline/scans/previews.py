"""A letter page as a PNG for the console: decoded and re-encoded here, never passed through.

The customer's file may be any image or PDF, possibly hostile; the browser only ever
gets a grey PNG we drew ourselves from decoded pixels, no larger than
``PREVIEW_SIDE`` on its long side. The page is decoded the way OCR decoded it (same
size limit, same turn), so the OCR boxes, kept as fractions of the page, land on the
same words. Previews are cached on disk under the data directory; a cache file is
written whole (temp file, then rename), so a crash never leaves half a PNG to serve.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from PIL import Image

from pipeline.db.models import Attachment, ScanPage
from pipeline.documents.images import bounded, decoded, open_image
from pipeline.documents.pdftext import RENDER_DPI, open_pdf
from pipeline.mail.attachments import attachment_path
from pipeline.scans.document import ScanFile, is_pdf

PREVIEW_SIDE = 1400
CACHE_VERSION = 1  # bump when the drawing changes, so old cache files are not served


def preview_path(data_dir: Path, page: ScanPage, file: Attachment) -> Path:
    """Named after the stored file (a random name, never reused), its page and turn.

    Not after the scan's id: a database restored or recreated over the same data
    directory must never be shown another letter's page.
    """
    name = f"v{CACHE_VERSION}-{file.storage_name}-f{page.frame}-a{page.angle}.png"
    return data_dir / "page-previews" / name


def page_preview(*, data_dir: Path, storage_dir: Path, page: ScanPage, file: Attachment) -> bytes:
    """The page's PNG, from the disk cache or drawn now from the stored file."""
    target = preview_path(data_dir, page, file)
    if target.exists():
        return target.read_bytes()
    item = ScanFile(
        name=file.display_name,
        content_type=file.content_type,
        payload=attachment_path(storage_dir, file.storage_name).read_bytes(),
    )
    png = _encode(page_image(item, page.frame, page.angle))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(png)
    os.replace(tmp.name, target)
    return png


def page_image(item: ScanFile, frame: int, angle: int) -> Image.Image:
    """The page as OCR saw it: grey, bounded, turned by ``angle``."""
    if is_pdf(item):
        # The letter was read already, so its page count passed the limit then.
        document = open_pdf(item.payload, name=item.name, max_pages=frame + 10_000)
        try:
            pdf_page = document[frame]
            try:
                scale = min(RENDER_DPI / 72, 3000 / max(pdf_page.get_width(), 1.0))
                image = bounded(pdf_page.render(scale=scale, grayscale=True).to_pil().convert("L"))
            finally:
                pdf_page.close()
        finally:
            document.close()
    else:
        source = open_image(item.payload, name=item.name)
        source.seek(frame)
        image = decoded(source, name=item.name)
    if angle:
        image = image.rotate(angle, expand=True, fillcolor=255)
    return image


def _encode(image: Image.Image) -> bytes:
    image = image.convert("L")
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
