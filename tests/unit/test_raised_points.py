"""The points to answer, drafted from the complaint in the customer's own words."""

from __future__ import annotations

from pipeline.resolution.points import MAX_POINTS, raised_points


def test_chinese_demands_and_questions_become_points_in_order() -> None:
    text = ("我上周买的电水壶用了三天就漏水了。客服电话一直打不通。"
            "请尽快给我退款！为什么质检没有发现这个问题？另外包装也破了")
    assert raised_points(text, ["refund"], "zh") == [
        "请尽快给我退款！",
        "为什么质检没有发现这个问题？",
    ]


def test_english_sentences_and_uncovered_demands() -> None:
    text = ("The kettle leaks after three days. I want a replacement sent this week. "
            "When will someone call me back?")
    assert raised_points(text, ["replacement", "apology"], "en") == [
        "I want a replacement sent this week.",
        "When will someone call me back?",
        "Asks for an apology",
    ]


def test_demands_without_sentences_get_plain_lines_in_the_letters_language() -> None:
    assert raised_points("", ["compensation", "repair"], "zh") == ["要求赔偿", "要求维修"]
    assert raised_points("", ["unknown-code"], "en") == []


def test_the_list_is_bounded_and_free_of_repeats() -> None:
    text = "请退款！\n" * 3 + "".join(f"问题{i}是什么？" for i in range(30))
    points = raised_points(text, [], "zh")
    assert points[0] == "请退款！" and points.count("请退款！") == 1
    assert len(points) == MAX_POINTS
