"""Phone numbers in complaint text: every way customers write them, and what is not one."""

from __future__ import annotations

import time

import pytest

from pipeline.text.phones import MAX_SCAN, find_phones, fold_fullwidth, likely_phones

MOBILE = "+8613800138000"


@pytest.mark.parametrize(
    "text",
    [
        "我的电话 138 0013 8000，谢谢",
        "手机13800138000。",
        "phone: +86 138-0013-8000",
        "0086 13800138000",
        "86-13800138000",
        "１３８００１３８０００",
        "手机：１３８ ００１３ ８０００",
        "call me on 138 0013\n8000 after six",
        "电话 138-0013-\n8000",
    ],
)
def test_chinese_mobile_found_in_every_usual_form(text: str) -> None:
    """GIVEN one mobile number written some way WHEN searched THEN it comes out in E.164."""
    assert find_phones(text) == (MOBILE,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("座机 010-12345678", "+861012345678"),
        ("座机（021）6123 4567", "+862161234567"),
        ("(021) 6123 4567", "+862161234567"),
        ("+86-10-12345678", "+861012345678"),
        ("客服 400-820-8820", "+864008208820"),
    ],
)
def test_chinese_landlines_and_service_numbers_found(text: str, expected: str) -> None:
    assert find_phones(text) == (expected,)


@pytest.mark.parametrize("region", ["CN", "GB", "US"])
def test_international_numbers_found_whatever_the_default_region(region: str) -> None:
    text = "London office +44 20 7946 0958, mobile +1 415 555 2671."
    assert find_phones(text, region) == ("+442079460958", "+14155552671")


@pytest.mark.parametrize(
    "text",
    [
        "订单号202611280001234",
        "订单号：202611280001234",
        "订单号2026112800",
        "my order 2026112800 is late",
        "order JD1234567890",
        "运单号 SF1234567890123",
        "2026-11-28",
        "2026/11/28 14:30",
        "2026年11月28日",
        "金额 1299.00 元",
        "身份证 110101199003074514",
        "1380013800",
    ],
)
def test_order_numbers_dates_and_amounts_are_not_phones(text: str) -> None:
    assert find_phones(text) == ()


def test_phone_next_to_an_order_number_is_still_found() -> None:
    text = "订单号：202611280001234，联系电话13800138000，下单日期2026-11-28。"
    assert find_phones(text) == (MOBILE,)


def test_number_on_the_line_after_an_order_number_is_not_glued_to_it() -> None:
    assert find_phones("订单号：202611280001234\n13800138000") == (MOBILE,)


def test_line_break_join_does_not_swallow_a_following_year() -> None:
    assert find_phones("电话 138 0013 8000\n2026年11月28日") == (MOBILE,)


def test_numbers_are_deduplicated_and_kept_in_order_of_appearance() -> None:
    text = "13900139000 或 138 0013 8000，再说一次：13900139000"
    assert find_phones(text) == ("+8613900139000", MOBILE)


def test_numbers_separated_by_a_slash_are_both_found() -> None:
    assert find_phones("13800138000/13900139000") == (MOBILE, "+8613900139000")


def test_likely_phones_puts_the_customers_number_before_our_hotline() -> None:
    """GIVEN a mail quoting our 400 hotline before the customer's own mobile
    WHEN ranked THEN the customer's mobile comes first, the hotline is kept last."""
    text = "我打了你们的客服热线400-820-8820没人接。我的手机是13800138000。"
    assert find_phones(text) == ("+864008208820", MOBILE)
    assert likely_phones(text) == (MOBILE, "+864008208820")


def test_likely_phones_prefers_a_labelled_number_over_an_unlabelled_landline() -> None:
    text = "门店 021-61234567 的店员很不礼貌。联系电话：010-12345678"
    assert likely_phones(text) == ("+861012345678", "+862161234567")


def test_likely_phones_prefers_a_mobile_over_an_unlabelled_landline() -> None:
    assert likely_phones("010-12345678 或者 13800138000") == (MOBILE, "+861012345678")


def test_only_the_first_max_scan_characters_are_searched() -> None:
    text = "x" * MAX_SCAN + " 13800138000"
    assert find_phones(text) == ()


@pytest.mark.parametrize(
    "text",
    ["1" * 30_000, "1 " * 15_000, "13800138000 " * 2_000, "13800138000\n" * 2_000],
)
def test_a_wall_of_digits_is_bounded_in_time(text: str) -> None:
    """Hostile input: a mail made of digits must not stall the intake worker."""
    started = time.perf_counter()
    find_phones(text)
    assert time.perf_counter() - started < 2.0


def test_fold_fullwidth_keeps_offsets() -> None:
    text = "电话：１３８（０２１）ＡＢ　x"
    folded = fold_fullwidth(text)
    assert folded == "电话:138(021)AB x"
    assert len(folded) == len(text)
