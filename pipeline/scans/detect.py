"""Is this mail a scanned letter? Which of its files are the letter's pages?

Mail from the mailroom scanner always is. A customer's mail is one only when its own
text is empty or boilerplate ("see attached", a greeting, a signature, "详见附件") and
it carries a PDF or a page-sized photo: a mail with its own words ("See photo. The
bowl arrived cracked. Refund please.") is an e-mail complaint and its photos are
attachments, however short it is. Whether the picture holds writing is known only
after OCR; when it holds none, the mail still becomes an e-mail case (see
``pipeline.scans.fallback``). A PDF with a text layer sent by a customer is a
document, read like the mail's body (see ``pipeline.documents.attached``).

Anyone can write the scanner's address in From, so the address alone proves nothing.
Mail counts as the scanner's only with proof a stranger cannot forge: the secret
``X-Complaints-Scanner-Token`` header the scanner adds (``COMPLAINTS_SCANNER_TOKEN``),
or a topmost ``Received`` header (the one our own mail server wrote) saying it came
from a trusted relay (``COMPLAINTS_SCANNER_TRUSTED_RELAYS``). Lower ``Received``
lines and ``Authentication-Results`` are written by whoever sent the mail, so they
are not looked at. Without the proof the mail is an ordinary customer's mail.
"""

from __future__ import annotations

import hmac
import re
from pathlib import PurePosixPath

from config.settings import Settings
from pipeline.documents.attached import has_text_layer, is_document
from pipeline.documents.images import open_image
from pipeline.documents.reasons import Unreadable
from pipeline.mail.message import MailAttachment, ParsedMail
from pipeline.text.boilerplate import says_nothing
from pipeline.text.replies import strip_quoted

TOKEN_HEADER = "x-complaints-scanner-token"
_HOST_TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:\-]*")
SCAN_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"}


def is_scan_file(name: str, content_type: str) -> bool:
    """A PDF or image, by type or, for octet-streams from scanners, by name."""
    kind = content_type.lower()
    if kind == "application/pdf" or kind.startswith("image/"):
        return True
    return PurePosixPath(name.lower()).suffix in SCAN_SUFFIXES


def from_scanner(mail: ParsedMail, settings: Settings) -> bool:
    """The scanner's address in From, and proof that the scanner really sent it."""
    if mail.from_address.lower() not in settings.scanner_address_set:
        return False
    return _has_token(mail, settings) or _via_trusted_relay(mail, settings)


def _has_token(mail: ParsedMail, settings: Settings) -> bool:
    expected = settings.scanner_token.get_secret_value().encode()
    if not expected:
        return False
    return any(hmac.compare_digest(value.strip().encode(), expected)
               for value in mail.headers.get(TOKEN_HEADER, []))


def _via_trusted_relay(mail: ParsedMail, settings: Settings) -> bool:
    """The topmost Received line's "from" part names a trusted relay (name or address)."""
    relays = {r.strip().lower() for r in settings.scanner_trusted_relays.split(",") if r.strip()}
    received = mail.headers.get("received", [])
    if not relays or not received:
        return False
    sender_part = re.split(r"\sby\s", received[0], maxsplit=1, flags=re.I)[0]
    named = {token.lower().strip(".") for token in _HOST_TOKENS.findall(sender_part[:2000])}
    return bool(relays & named)


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
