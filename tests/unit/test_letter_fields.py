"""Field extraction from letter text, against the known truth of the generated letters."""

from __future__ import annotations

import pytest

from pipeline.scans.fields import (
    address,
    extract_letter_fields,
    find_amounts,
    letter_date,
    parse_date,
)
from tests.support.scans import BROKEN_LINE_LETTERS, LETTERS, LetterTruth


@pytest.mark.parametrize(
    "letter", (*LETTERS, *BROKEN_LINE_LETTERS), ids=lambda letter: letter.key
)
def test_every_field_matches_the_truth(letter: LetterTruth) -> None:
    fields = extract_letter_fields(letter.text)
    assert fields.language == letter.language
    assert fields.name.value == letter.name
    assert fields.phone.value == letter.phone
    assert fields.address.value == letter.address
    assert fields.email.value == letter.email
    assert fields.letter_date.value == letter.date
    assert fields.orders == letter.orders
    assert fields.amounts == letter.amounts
    assert fields.demands == letter.demands
    # The body keeps the complaint and drops greeting, sign-off and the address block.
    assert fields.what_happened.value
    assert letter.name not in fields.what_happened.value.split("\n")[-1] or letter.language == "en"
    assert "此致" not in fields.what_happened.value
    assert "Yours faithfully" not in fields.what_happened.value


def test_confidence_follows_ocr_and_flags_missing_fields() -> None:
    clean = extract_letter_fields(LETTERS[0].text, ocr_confidence=1.0)
    murky = extract_letter_fields(LETTERS[0].text, ocr_confidence=0.5)
    assert clean.phone.confidence > murky.phone.confidence
    assert not clean.phone.weak and murky.phone.weak
    stored = clean.confidences()
    assert stored["customer_email"] == {"confidence": 0.0, "weak": True}  # no e-mail written
    assert stored["customer_phone"]["weak"] is False


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024年3月15日", "2024-03-15"),
        ("2024 年 3 月 5 号", "2024-03-05"),
        ("15 March 2024", "2024-03-15"),
        ("15March 2024", "2024-03-15"),  # OCR lost the space
        ("March 15, 2024", "2024-03-15"),
        ("2024-03-15", "2024-03-15"),
        ("2024/3/15", "2024-03-15"),
    ],
)
def test_three_date_formats(text: str, iso: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed.isoformat() == iso


def test_an_impossible_date_is_no_date() -> None:
    assert parse_date("2024-02-30") is None
    assert letter_date(["I received it on 2024-02-11 and it broke the same day."]).value == ""


def test_phone_split_across_lines_and_glued_to_words() -> None:
    assert extract_letter_fields("我的电话：1380013\n8000\n").phone.value == "+8613800138000"
    glued = extract_letter_fields("call me on 139 12345678or write").phone.value
    assert glued == "+8613912345678"


def test_amounts_in_every_currency_form() -> None:
    text = "货款¥899.00元，运费 15 元，another RMB 1,299.50 and ￥20"
    assert find_amounts(text) == ("899.00", "15", "1299.50", "20")


def test_chinese_address_without_label() -> None:
    found = address(["寄件人 北京市朝阳区建国路 8 号 SOHO 现代城"])
    assert found.value.startswith("北京市朝阳区建国路8号")
    assert found.confidence < 0.9  # unlabelled: less sure


def test_english_street_block_stops_at_the_date() -> None:
    found = address(["Mary Jones", "12 Garden Road", "London", "15 November 2026"])
    assert found.value == "12 Garden Road, London"


def test_empty_text_gives_weak_empty_fields() -> None:
    fields = extract_letter_fields("")
    assert all(value["weak"] for key, value in fields.confidences().items())


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        ("订单号 HW20261\n008114\n", ("HW20261008114",)),
        ("order HW20261\n008114, which broke", ("HW20261008114",)),
        # A whole order number is not glued to a year or a phone number below it.
        ("订单号 JD-20261102555\n2026年11月20日\n", ("JD-20261102555",)),
        ("订单号：HW2026\n13800138000\n", ("HW2026",)),
    ],
)
def test_order_join_only_where_the_joined_value_is_an_order(
    text: str, orders: tuple[str, ...]
) -> None:
    assert extract_letter_fields(text).orders == orders


def test_uk_postcode_without_its_space_is_read_and_points_to_the_uk() -> None:
    """OCR drops the space of "M1 5QA"; the address keeps the postcode, written properly,
    and the phone number is read as a UK one."""
    text = "Dear Sir,\nThe jug cracked.\nCall me on 07700 900461.\nJames Carter\n14 Oxford Road\n"
    fields = extract_letter_fields(text + "Manchester M15QA")
    assert fields.address.value == "14 Oxford Road, Manchester M1 5QA"
    assert fields.phone.value == "+447700900461"
