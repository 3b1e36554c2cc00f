"""Complaints written in an attached document are read like a mail body; hostile or
broken documents give a reason for staff, quickly, and never an exception."""

from __future__ import annotations

import time

import pytest

from pipeline.documents.attached import (
    DocumentLimits,
    complaint_text,
    has_text_layer,
    read_document_text,
)
from pipeline.mail.message import MailAttachment
from pipeline.text.boilerplate import says_nothing
from pipeline.text.extract import extract_fields
from tests.support.documents import (
    DOCX_TYPE,
    ODT_TYPE,
    corrupt_docx,
    docx_bytes,
    encrypted_docx,
    entity_bomb_docx,
    odt_bytes,
    text_pdf,
    zip_bomb_docx,
)
from tests.support.scans import render_page, to_image_pdf

COMPLAINT_ZH = (
    "您好：\n"
    "我于11月2日购买的电饭煲（订单号 JD-20261102555）内胆涂层脱落，无法使用。\n"
    "我要求退货并退款。我的电话 138 0013 8000\n"
    "王建国"
)
COMPLAINT_EN = (
    "Dear Sir or Madam,\n"
    "The kettle I bought (order AB-55512345) stopped working after two days.\n"
    "I would like a replacement. Please call me on 139 1234 5678.\n"
    "Mary Jones"
)

MAKERS = {
    "docx": lambda text: MailAttachment("complaint.docx", DOCX_TYPE, docx_bytes(text)),
    "odt": lambda text: MailAttachment("complaint.odt", ODT_TYPE, odt_bytes(text)),
    "txt": lambda text: MailAttachment("complaint.txt", "text/plain", text.encode("utf-8")),
    "pdf": lambda text: MailAttachment("complaint.pdf", "application/pdf", text_pdf(text)),
}


@pytest.mark.parametrize(
    "body",
    [
        "详见附件。",
        "see the attachment",
        "Please see attached.\n\nSent from my iPhone",
        "您好，投诉信见附件，请查收。\n\n张三",
        "",
        "Hi,\n\nsee attached file\n\nRegards,\nJane",
    ],
)
def test_boilerplate_bodies_say_nothing(body: str) -> None:
    assert says_nothing(body)


@pytest.mark.parametrize(
    "body", ["See photo. The bowl arrived cracked. Order AB-20261201. Refund please.",
             "照片见附件，碗收到时已经裂了，请退款。", "Broken kettle, refund please!"]
)
def test_bodies_with_own_words_say_something(body: str) -> None:
    assert not says_nothing(body)


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize(("text", "body"), [(COMPLAINT_ZH, "详见附件。"),
                                            (COMPLAINT_EN, "see the attachment")])
def test_document_gives_the_same_fields_as_the_same_text_in_the_body(
    kind: str, text: str, body: str
) -> None:
    complaint = complaint_text(body, (MAKERS[kind](text),), DocumentLimits())
    assert complaint.note == "" and complaint.from_documents
    read = extract_fields(text=complaint.text, subject="投诉", from_name="", from_address="a@b.cn")
    typed = extract_fields(text=text, subject="投诉", from_name="", from_address="a@b.cn")
    assert read == typed
    assert read.phone and read.order_numbers and read.demands and read.customer_name


def test_a_body_with_its_own_words_stays_the_complaint() -> None:
    body = "The kettle leaks, refund please. My number is 139 1234 5678."
    complaint = complaint_text(body, (MAKERS["docx"](COMPLAINT_EN),), DocumentLimits())
    assert complaint.text == body and not complaint.from_documents


def test_a_scanned_pdf_is_not_a_document_but_a_typed_one_is() -> None:
    scan = to_image_pdf([render_page("A letter on paper")])
    assert not has_text_layer(MailAttachment("scan.pdf", "application/pdf", scan))
    assert has_text_layer(MAKERS["pdf"](COMPLAINT_EN))


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (corrupt_docx(), "damaged"),
        (encrypted_docx(), "password"),
        (entity_bomb_docx(), "damaged"),
        (zip_bomb_docx(100_000_000), "unpack"),
    ],
    ids=["corrupt", "encrypted", "entity-bomb", "zip-bomb"],
)
def test_unreadable_documents_are_flagged_quickly_never_raised(payload: bytes, words: str) -> None:
    item = MailAttachment("complaint.docx", DOCX_TYPE, payload)
    started = time.perf_counter()
    complaint = complaint_text("详见附件。", (item,), DocumentLimits())
    assert time.perf_counter() - started < 2
    assert complaint.text == "详见附件。" and not complaint.from_documents
    assert words in complaint.note and "附件文档无法读取" in complaint.note


def test_documents_are_bounded_in_bytes_and_characters() -> None:
    big = MailAttachment("big.txt", "text/plain", b"x" * 2_000)
    assert "larger than" in read_document_text(big, DocumentLimits(max_bytes=1_000)).problem
    long = MailAttachment("long.txt", "text/plain", ("complaint " * 10_000).encode())
    assert len(read_document_text(long, DocumentLimits(max_chars=5_000)).text) <= 5_000


def test_no_text_and_nothing_readable_is_flagged() -> None:
    assert "nothing attached" in complaint_text("see attached", (), DocumentLimits()).note
    photo = MailAttachment("p.jpg", "image/jpeg", b"\xff\xd8\xff")
    assert "no readable document" in complaint_text("", (photo,), DocumentLimits()).note
