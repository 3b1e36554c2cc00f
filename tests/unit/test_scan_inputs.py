"""Bad scans get a clear reason, never a crash; ordinary mail images are not letters."""

from __future__ import annotations

import io
import time
from email.message import EmailMessage

import pytest
from PIL import Image
from pydantic import SecretStr
from pypdf import PdfWriter

from config.settings import Settings
from letters.pdf.kinds import KINDS
from letters.pdf.letter import render_letters
from pipeline.documents.images import image_pages
from pipeline.documents.pdftext import pdf_pages
from pipeline.documents.reasons import Unreadable
from pipeline.mail.message import MailLimits
from pipeline.mail.mime import parse_mail
from pipeline.scans.detect import letter_pages
from pipeline.scans.document import ScanFile, read_document
from tests.support.documents import docx_bytes, text_pdf
from tests.support.scans import EN_WITH_EMAIL, render_page, scanned_jpeg, to_image_pdf, to_png


def reason_of(payload: bytes, name: str, kind: str = "application/octet-stream") -> str:
    with pytest.raises(Unreadable) as caught:
        read_document([ScanFile(name=name, content_type=kind, payload=payload)])
    reason = caught.value.reason
    assert " / " in reason  # English and Chinese
    return reason


def test_corrupt_pdf() -> None:
    assert "damaged" in reason_of(b"%PDF-1.4\n garbage garbage", "a.pdf", "application/pdf")


def test_encrypted_pdf() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert "password" in reason_of(buffer.getvalue(), "locked.pdf", "application/pdf")


def test_500_page_pdf_is_refused_before_any_page_is_read() -> None:
    writer = PdfWriter()
    for _ in range(500):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    started = time.monotonic()
    reason = reason_of(buffer.getvalue(), "huge.pdf", "application/pdf")
    assert "500 pages" in reason
    assert time.monotonic() - started < 5


def test_empty_and_truncated_images() -> None:
    assert "0 bytes" in reason_of(b"", "empty.jpg", "image/jpeg")
    whole = scanned_jpeg(EN_WITH_EMAIL)
    with pytest.raises(Unreadable) as caught:
        list(image_pages(whole[: len(whole) // 3], name="cut.jpg"))
    assert "damaged or cut short" in caught.value.reason


def test_decompression_bomb_is_refused_unread() -> None:
    bomb = io.BytesIO()
    Image.new("1", (10_000, 7_000)).save(bomb, "PNG")  # a few KB on disk, 70 Mpx
    assert len(bomb.getvalue()) < 1_000_000
    assert "decompression bomb" in reason_of(bomb.getvalue(), "bomb.png", "image/png")


def test_not_an_image_at_all() -> None:
    assert "not a readable image" in reason_of(b"hello, I am text", "note.jpg", "image/jpeg")


def test_pdf_text_layer_is_read_without_ocr() -> None:
    pdf = render_letters([KINDS["acknowledgment"].sample("zh")])
    pages = list(pdf_pages(pdf, name="typed.pdf"))
    assert len(pages) == 1 and pages[0].image is None
    assert "我们已收到您的来信" in pages[0].text


def test_image_only_pdf_pages_are_rendered_for_ocr() -> None:
    pdf = to_image_pdf([render_page("Hello\nWorld")])
    pages = list(pdf_pages(pdf, name="scan.pdf"))
    assert pages[0].text == "" and pages[0].image is not None
    assert max(pages[0].image.size) <= 2400


def _mail(body: str, attachment: bytes, filename: str, subtype: str, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "complaint"
    msg.set_content(body)
    msg.add_attachment(attachment, maintype="image", subtype=subtype, filename=filename)
    return bytes(msg)


def _pages(raw: bytes, settings: Settings) -> list[str]:
    mail = parse_mail(raw, MailLimits(10_000_000, 100, 10, 65536))
    return [a.filename for a in letter_pages(mail, settings)]


LONG_BODY = "My kettle broke after two days and I want a refund for it. " * 5


def test_logo_in_an_ordinary_mail_is_not_a_letter() -> None:
    settings = Settings(scanner_addresses="scanner@shop.example")
    logo = to_png(Image.new("L", (180, 60), 200))
    assert _pages(_mail(LONG_BODY, logo, "logo.png", "png", "a@b.example"), settings) == []
    # Even with little text, a small image is a logo or a signature, not a page.
    assert _pages(_mail("Thanks", logo, "logo.png", "png", "a@b.example"), settings) == []
    # A page-sized photo in a long mail is an attachment to an e-mail complaint.
    photo = scanned_jpeg(EN_WITH_EMAIL)
    assert _pages(_mail(LONG_BODY, photo, "p.jpg", "jpeg", "a@b.example"), settings) == []


def test_photo_with_little_text_or_from_the_scanner_is_a_letter() -> None:
    settings = Settings(scanner_addresses="scanner@shop.example",
                        scanner_token=SecretStr("mailroom-secret"))
    photo = scanned_jpeg(EN_WITH_EMAIL)
    assert _pages(_mail("see photo", photo, "p.jpg", "jpeg", "a@b.example"), settings) == ["p.jpg"]
    logo = to_png(Image.new("L", (180, 60), 200))
    scanner = _mail(LONG_BODY, logo, "scan.png", "png", "Scanner <scanner@shop.example>")
    proven = b"X-Complaints-Scanner-Token: mailroom-secret\n" + scanner
    assert _pages(proven, settings) == ["scan.png"]
    assert _pages(scanner, settings) == []  # the address alone proves nothing


def test_a_short_mail_with_its_own_words_is_not_a_letter() -> None:
    """The issue's mail: 70 characters of complaint and a photo is an e-mail complaint."""
    settings = Settings()
    photo = scanned_jpeg(EN_WITH_EMAIL)
    body = "See photo. The bowl arrived cracked. Order AB-20261201. Refund please."
    assert _pages(_mail(body, photo, "p.jpg", "jpeg", "a@b.example"), settings) == []
    for boilerplate in ("", "详见附件。", "Please see attached.\n\nSent from my iPhone"):
        raw = _mail(boilerplate, photo, "p.jpg", "jpeg", "a@b.example")
        assert _pages(raw, settings) == ["p.jpg"], boilerplate


def test_typed_pdf_or_word_document_is_read_as_a_document_not_a_letter() -> None:
    settings = Settings()
    photo = scanned_jpeg(EN_WITH_EMAIL)
    typed = text_pdf("The kettle I bought stopped working after two days. Refund please.")
    msg = EmailMessage()
    msg["From"] = "a@b.example"
    msg["To"] = "complaints@shop.example"
    msg.set_content("see attached")
    msg.add_attachment(typed, maintype="application", subtype="pdf", filename="c.pdf")
    assert _pages(bytes(msg), settings) == []
    msg.add_attachment(photo, maintype="image", subtype="jpeg", filename="p.jpg")
    msg.add_attachment(docx_bytes("My complaint"), maintype="application",
                       subtype="octet-stream", filename="c.docx")
    assert _pages(bytes(msg), settings) == []


def test_multi_page_tiff_gives_every_page() -> None:
    pages = [render_page(f"Page {n}", size=(600, 800)) for n in (1, 2, 3)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    read = list(image_pages(buffer.getvalue(), name="scan.tif"))
    assert len(read) == 3 and all(page.size == (600, 800) for page in read)
    with pytest.raises(Unreadable) as caught:
        list(image_pages(buffer.getvalue(), name="scan.tif", max_pages=2))
    assert "3 pages" in caught.value.reason


def test_the_phrase_prefilter_passes_over_no_text_the_pattern_would_change() -> None:
    """``own_words`` skips the costly boilerplate pattern when none of its words is in the
    text; every character ``re.IGNORECASE`` takes for an ASCII letter must fold to it."""
    import re
    import sys

    from pipeline.text import boilerplate

    letter = re.compile("[a-z]", re.IGNORECASE)
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if letter.fullmatch(char):
            for word in filter(str.isascii, boilerplate._PHRASE_WORDS):
                for at in range(len(word)):
                    if re.fullmatch(word[at], char, re.IGNORECASE):
                        spelled = word[:at] + char + word[at + 1:]
                        assert boilerplate._may_hold_a_phrase(spelled), spelled
    for text in ("Please ſee the ATTACHED fİle", "PHOTOS attached", "详见附件。", "请查收",
                 "see my pıctures", "投诉信", "The bowl arrived cracked. Refund please."):
        assert bool(boilerplate._PHRASES.search(text)) <= boilerplate._may_hold_a_phrase(text)
        assert boilerplate.own_words(text) == boilerplate._GREETINGS.sub(
            " ", boilerplate._PHRASES.sub(" ", text)).strip()
    assert not boilerplate._may_hold_a_phrase("The bowl arrived cracked. Refund please.")
