"""Which language a complaint is in, which decides the language of our letters."""

from __future__ import annotations

import pytest

from pipeline.text.language import detect_language


@pytest.mark.parametrize(
    "text",
    [
        "您好，我买的电视机屏幕坏了，请尽快处理。",
        "退款",
        "我购买的 Apple iPhone 15 Pro Max 256GB 屏幕有划痕，要求换货。",
        "Order JD20261115001 还没到",
    ],
)
def test_chinese_text_is_zh(text: str) -> None:
    assert detect_language(text) == "zh"


@pytest.mark.parametrize(
    "text",
    [
        "My kettle arrived broken. I want a refund.",
        "",
        "12345 !!! ???",
        "Regards,\nZhang Wei 张伟",
    ],
)
def test_english_text_is_en(text: str) -> None:
    assert detect_language(text) == "en"


def test_ten_han_characters_in_a_short_mixed_mail_make_it_zh() -> None:
    """GIVEN a short English sentence with ten Han characters THEN it is Chinese enough."""
    text = "Hello, my order has a problem: 屏幕破裂了，请你们尽快处理 please help me today"
    assert detect_language(text) == "zh"


def test_chinese_address_in_the_signature_of_a_long_english_mail_stays_en() -> None:
    """GIVEN a long English mail signed with a Chinese address (over ten Han characters)
    THEN it is English: the customer wrote in English and expects an English answer."""
    body = "The kettle I ordered arrived broken and nobody answers the phone. " * 6
    text = f"{body}\nJane Smith\n北京市朝阳区建国路88号现代城5号楼"
    assert detect_language(text) == "en"
