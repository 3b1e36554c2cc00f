"""What the customer asks for, read by keywords in both languages."""

from __future__ import annotations

import pytest

from pipeline.text.demands import DEMAND_CODES, find_demands


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("请尽快退款。", "refund"),
        ("把钱退给我，我要退钱", "refund"),
        ("请返还货款", "refund"),
        ("I want a full refund.", "refund"),
        ("I want my money back.", "refund"),
        ("我要退货", "return"),
        ("I would like to return it.", "return"),
        ("请给我换货", "replacement"),
        ("要求更换一台新的", "replacement"),
        ("请调换尺码", "replacement"),
        ("Please send a replacement.", "replacement"),
        ("Can I exchange it for a larger size?", "replacement"),
        ("Please replace the kettle.", "replacement"),
        ("请安排维修", "repair"),
        ("请上门修理", "repair"),
        ("Can you repair it?", "repair"),
        ("Please fix it.", "repair"),
        ("要求赔偿损失", "compensation"),
        ("请给予补偿", "compensation"),
        ("I expect compensation.", "compensation"),
        ("You should compensate me.", "compensation"),
        ("要求店员道歉", "apology"),
        ("I want an apology.", "apology"),
        ("The driver should apologise.", "apology"),
        ("Your manager must apologize.", "apology"),
        ("请解释原因", "explanation"),
        ("请给我一个说法", "explanation"),
        ("请书面说明原因", "explanation"),
        ("I want an explanation.", "explanation"),
        ("Please explain why it took so long.", "explanation"),
        ("能否折价处理", "discount"),
        ("打折也可以接受", "discount"),
        ("I would accept a discount.", "discount"),
        ("A price reduction would be fair.", "discount"),
    ],
)
def test_each_demand_is_found_by_its_keywords(text: str, code: str) -> None:
    assert find_demands(text) == (code,)


def test_demands_come_in_order_of_first_mention() -> None:
    text = "请尽快给我换货，或者全额退款，并对耽误的时间给予补偿。"
    assert find_demands(text) == ("replacement", "refund", "compensation")


def test_codes_are_from_the_record_form_list() -> None:
    text = "退款 退货 换货 维修 赔偿 道歉 解释 折价"
    assert set(find_demands(text)) == set(DEMAND_CODES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不需要道歉，我只要退款。", ("refund",)),
        ("我不需要赔偿，但要求当面道歉。", ("apology",)),
        ("退款就不必了，换货吧。", ("replacement",)),
        ("No refund needed, just replace it.", ("replacement",)),
        ("No apology is necessary.", ()),
        ("I don't need an apology, but I want my money back.", ("refund",)),
        ("There is no need for compensation.", ()),
    ],
)
def test_a_demand_the_customer_waves_away_is_not_a_demand(
    text: str, expected: tuple[str, ...]
) -> None:
    assert find_demands(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I have not received my refund.",
        "Still no refund has arrived.",
        "如果不退款我就去消协投诉。",
    ],
)
def test_a_missing_refund_is_still_a_refund_demand(text: str) -> None:
    """A negation about the refund's arrival is the complaint, not a waiver."""
    assert find_demands(text) == ("refund",)


@pytest.mark.parametrize(
    "text",
    [
        "Let me explain what happened.",
        "I apologise for the long mail.",
        "He explained that the van broke down.",
        "I returned the item last week.",
        "It came in return for my old one.",
        "The exchange rate was wrong.",
        "说明书上写着可以水洗。",
        "这说明你们的质量有问题。",
        "我在门店办理退货时，店员态度很差。",
    ],
)
def test_narration_and_look_alike_words_are_not_demands(text: str) -> None:
    assert find_demands(text) == ()


def test_clause_boundary_limits_a_negation() -> None:
    """A negation in the previous clause does not cancel the next clause's demand."""
    assert find_demands("质量不需要多好，但请道歉。") == ("apology",)


def test_upper_case_keywords_are_found() -> None:
    assert find_demands("I WANT A REFUND NOW") == ("refund",)
