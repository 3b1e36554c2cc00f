"""Tracing each field read from a letter back to the OCR boxes it came from."""

from __future__ import annotations

import dataclasses

from pipeline.scans.cases import _attention
from pipeline.scans.document import DocumentText
from pipeline.scans.fields import extract_letter_fields
from pipeline.scans.labels import field_label
from pipeline.scans.ocr import OcrLine, PageText, WordBox
from pipeline.scans.sources import field_sources


def page(*rows: list[tuple[str, float]]) -> PageText:
    """A page whose lines are boxes of (text, x); each line 50 px below the last."""
    lines = []
    for index, row in enumerate(rows):
        boxes, starts, text = [], [], ""
        for word, x in row:
            glue = " " if text else ""
            starts.append(len(text) + len(glue))
            text = f"{text}{glue}{word}"
            boxes.append(WordBox(word, 0.95, x, 100.0 + 50 * index, 20.0 * len(word), 40.0))
        lines.append(OcrLine(text=text, boxes=tuple(boxes), starts=tuple(starts)))
    return PageText(text="\n".join(line.text for line in lines), confidence=0.95, angle=0,
                    seconds=1.0, width=1000, height=1400, lines=tuple(lines))


def document(*pages: PageText) -> DocumentText:
    return DocumentText(pages=list(pages), origins=[(0, i) for i in range(len(pages))])


def test_phone_and_order_number_broken_across_lines_are_outlined_on_both() -> None:
    doc = document(page(
        [("15 November 2026", 100)],
        [("My order", 100), ("HW20261", 300)],
        [("008114", 100), ("arrived broken. I ask for a refund.", 300)],
        [("Please call me on 138 0013", 100)],
        [("8000.", 100)],
        [("Li Lei", 100)],
    ))
    fields = extract_letter_fields(doc.text)
    assert fields.phone.value == "+8613800138000"
    # However the order number is joined (another part of the parser), its source is
    # both halves: the stream of boxes ignores line breaks.
    joined = dataclasses.replace(fields, orders=("HW20261008114",))
    sources = field_sources(doc, joined)
    phone = sources["customer_phone"]
    assert [(r["page"], r["y"]) for r in phone] == [(1, 250.0), (1, 300.0)]
    # Only "138 0013", the end of the box "Please call me on 138 0013", is outlined.
    box_width = 20 * len("Please call me on 138 0013")
    assert phone[0]["x"] + phone[0]["w"] == 100 + box_width
    assert 0.6 * box_width < phone[0]["x"] - 100 < 0.75 * box_width
    assert phone[1]["x"] == 100 and phone[1]["w"] < 20 * len("8000.")  # not the full stop
    orders = sources["order_numbers"]
    assert [(r["x"], r["y"]) for r in orders] == [(300.0, 150.0), (100.0, 200.0)]
    (date,) = sources["letter_date"]
    assert date["y"] == 100.0
    (name,) = sources["customer_name"]
    assert name["y"] == 350.0


def test_a_name_inside_an_email_address_is_not_taken_for_the_signature() -> None:
    doc = document(page(
        [("Dear Sir,", 100)],
        [("The kettle leaks. Please replace it.", 100)],
        [("Write to mary.jones@customer.example", 100)],
        [("Mary Jones", 100)],
    ))
    sources = field_sources(doc, extract_letter_fields(doc.text))
    assert [r["y"] for r in sources["customer_name"]] == [250.0]
    assert [r["y"] for r in sources["customer_email"]] == [200.0]


def test_pages_without_boxes_give_no_outline_and_fields_not_on_the_page_none() -> None:
    typed = PageText(text="我是李秀英，联系电话 13712345678", confidence=1.0, angle=0, seconds=0.0)
    sources = field_sources(document(typed), extract_letter_fields(typed.text))
    assert sources == {}


def test_weak_fields_are_named_by_their_labels_in_both_languages() -> None:
    letter = extract_letter_fields("Dear Sir,\nMy kettle leaks.\nMary Jones", ocr_confidence=0.9)
    note = _attention(["customer_phone", "customer_name"], document(), letter)
    assert "联系电话 / phone" in note and "客户姓名 / name" in note
    assert "customer_" not in note
    assert field_label("unknown_key") == "unknown_key"
