"""What a template's text looks like to the recipient: the mail, and the printed letter.

Rendered from sample values with the saved text or with a draft (nothing is saved),
so an admin sees the effect of an edit before the customer does. The letter is drawn
to a PNG here, from our own PDF, so the console shows an image under its CSP.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pypdfium2 as pdfium

from letters.pdf.fonts import FontSource
from letters.pdf.previews import PREVIEWS
from letters.render import trial
from letters.samples import Sample, language_of, printed_kind, samples_for

PREVIEW_SCALE = 1.2  # about 86 dpi: an A4 page some 700 pixels wide


@contextlib.contextmanager
def _draft(name: str, body: str | None) -> Iterator[None]:
    if body is None:
        yield
        return
    with trial(name, body):
        yield


def mail_preview(name: str, body: str | None = None) -> list[Sample]:
    """The sample mails that use template ``name`` (with ``body`` as a draft, if given)."""
    with _draft(name, body):
        return samples_for(name)


def letter_png(name: str, body: str | None = None, *, fonts: FontSource | str = "") -> bytes:
    """The first page of the printed letter that uses ``name`` as a PNG; b"" when none does."""
    kind = printed_kind(name)
    if not kind:
        return b""
    language = language_of(name)
    with _draft(name, body):
        pdf = PREVIEWS[kind].render("zh" if language == "zh+en" else language, fonts)
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=PREVIEW_SCALE).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
