"""Is this mail a scanned letter? Which of its files are the letter's pages?

Mail from a configured scanner/mailroom address always is. A customer's mail is one
only when its own text is empty or boilerplate ("see attached", a greeting, a
signature, "详见附件") and it carries a PDF or a page-sized photo: a mail with its own
words ("See photo. The bowl arrived cracked. Refund please.") is an e-mail complaint
and its photos are attachments, however short it is. Whether the picture holds
writing is known only after OCR; when it holds none, the mail still becomes an e-mail
case (see ``pipeline.scans.fallback``). A PDF with a text layer sent by a customer is
a document, read like the mail's body (see ``pipeline.intake.documents``).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from config.settings import Settings
from pipeline.intake.boilerplate import says_nothing
from pipeline.intake.documents import has_text_layer, is_document
from pipeline.intake.message import MailAttachment, ParsedMail
from pipeline.intake.replies import strip_quoted
from pipeline.scans.images import open_image
from pipeline.scans.reasons import Unreadable

SCAN_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"}


def is_scan_file(name: str, content_type: str) -> bool:
    """A PDF or image, by type or, for octet-streams from scanners, by name."""
    kind = content_type.lower()
    if kind == "application/pdf" or kind.startswith("image/"):
        return True
    return PurePosixPath(name.lower()).suffix in SCAN_SUFFIXES


def from_scanner(mail: ParsedMail, settings: Settings) -> bool:
    return mail.from_address.lower() in settings.scanner_address_set


def letter_pages(mail: ParsedMail, settings: Settings) -> list[MailAttachment]:
    """The attachments to read as a letter, or [] when the mail is an ordinary e-mail."""
    files = [a for a in mail.attachments if is_scan_file(a.filename, a.content_type)]
    if not files:
        return []
    if from_scanner(mail, settings):
        return files
    if len(strip_quoted(mail.text).strip()) > settings.letter_body_max_chars:
        return []
    if not says_nothing(mail.text) or any(is_document(a) for a in mail.attachments):
        return []  # its own words, or a written document, are the complaint
    return [a for a in files if _page_sized(a, settings) and not has_text_layer(a)]


def _page_sized(item: MailAttachment, settings: Settings) -> bool:
    """A PDF, or an image big enough (bytes and pixels) to be a photographed page."""
    if item.payload[:5] == b"%PDF-" or item.content_type.lower() == "application/pdf":
        return bool(item.payload)
    if len(item.payload) < settings.letter_min_image_bytes:
        return False
    try:
        width, height = open_image(item.payload, name=item.filename).size
    except Unreadable:
        return False  # not readable as a page: the mail stays an ordinary one
    return min(width, height) >= settings.letter_min_image_side
