"""Department suggestions: keyword rules first, then what staff's own decisions taught."""

from __future__ import annotations

import random

from config.departments import load_departments
from config.settings import Settings
from pipeline.routing.suggest import (
    MIN_TRAINING_SAMPLES,
    RoutingModel,
    acceptance,
    case_text,
    suggest,
    suggest_by_keywords,
    word_found,
)

DEPARTMENTS = load_departments(Settings())

# Phrases this company's staff route in their own way: "refund" complaints go to
# logistics here (returns are handled by the warehouse), not to sales as the rules say.
HABITS: dict[str, list[str]] = {
    "logistics": [
        "我要退款，货还在仓库",
        "请把钱退给我，商品已寄回仓库",
        "refund please, I sent it back to the warehouse",
        "money back for the returned parcel",
        "退回仓库的货款什么时候退",
    ],
    "quality": [
        "水壶漏水了",
        "屏幕出现坏点",
        "the kettle leaks from the base",
        "dead pixels on the screen",
        "用了两天就坏了",
    ],
    "rnd": [
        "应用程序总是闪退",
        "手机应用无法连接设备",
        "the app keeps crashing",
        "cannot pair the app with the device",
        "蓝牙配对失败",
    ],
}


def _samples(rng: random.Random, count: int) -> list[tuple[str, str]]:
    samples = []
    for _ in range(count):
        department = rng.choice(sorted(HABITS))
        phrase = rng.choice(HABITS[department])
        filler = rng.choice(["您好，", "Hello, ", "", "谢谢。", "Regards."])
        samples.append((case_text(f"投诉 {rng.randint(1, 999)}", filler + phrase, []), department))
    return samples


def test_keywords_suggest_with_the_words_that_matched() -> None:
    text = case_text("快递送货太慢", "The parcel never arrived, delivery was late.", ["退款"])
    suggestion = suggest(text, DEPARTMENTS, None)
    assert suggestion is not None
    assert suggestion.department == "logistics" and suggestion.source == "keywords"
    assert suggestion.reason_en.startswith('Mentions "快递"')
    assert suggestion.reason_zh.startswith("提到“快递”")
    assert 0 < suggestion.confidence <= 1


def test_latin_keywords_match_whole_words_only() -> None:
    suggestion = suggest_by_keywords("The manual was badly translated", DEPARTMENTS)
    assert suggestion is not None and suggestion.department == "rnd"  # "manual", not "late"
    assert suggest_by_keywords("platelet", DEPARTMENTS) is None


def test_no_keyword_and_no_model_means_no_suggestion() -> None:
    assert suggest("你好 hello", DEPARTMENTS, None) is None
    assert suggest_by_keywords("", DEPARTMENTS) is None


def test_classifier_learns_the_companys_own_habits_in_both_languages() -> None:
    rng = random.Random(7)
    model = RoutingModel.train(_samples(rng, 200))
    for text, expected in [
        ("我要退款，货已经寄回仓库了", "logistics"),  # the rules would say sales ("退款")
        ("Please refund me, I sent it back to your warehouse", "logistics"),
        ("新买的水壶底部漏水", "quality"),
        ("The app crashes when I open it", "rnd"),
    ]:
        suggestion = suggest(text, DEPARTMENTS, model)
        assert suggestion is not None, text
        assert (suggestion.department, suggestion.source) == (expected, "classifier"), text
        assert "%" in suggestion.reason_en and "把握" in suggestion.reason_zh


def test_too_few_decisions_leave_the_rules_in_charge() -> None:
    model = RoutingModel.train(_samples(random.Random(1), MIN_TRAINING_SAMPLES - 1))
    suggestion = suggest("我要退款", DEPARTMENTS, model)
    assert suggestion is not None and suggestion.source == "keywords"
    assert suggestion.department == "sales"


def test_a_model_of_one_department_predicts_it_and_an_empty_one_nothing() -> None:
    assert RoutingModel.train([("a", "quality")] * 3).predict("anything") == ("quality", 1.0)
    assert RoutingModel.train([]).predict("anything") is None


def test_acceptance_counts_only_decisions_that_had_a_suggestion() -> None:
    result = acceptance([("quality", "quality"), ("sales", "logistics"), (None, "rnd"),
                         ("rnd", "rnd")])
    assert (result.suggested, result.accepted, result.rate) == (3, 2, 0.667)
    assert acceptance([]).rate is None


def test_keywords_match_whole_latin_words_and_chinese_anywhere() -> None:
    """A Latin keyword is a whole word ("late" is not in "translated"), spelled as it
    is (its dots and plus signs are not patterns); a Chinese one matches anywhere."""
    assert word_found("late", "the parcel came late.")
    assert word_found("late", "late delivery")
    assert not word_found("late", "it was translated badly")
    assert not word_found("late", "latest model")
    assert word_found("c++", "a c++ book")
    assert not word_found("a.b", "axb")
    assert word_found("a.b", "see a.b here")
    assert word_found("退款", "我要退款")
    assert not word_found("退款", "我要换货")
    assert not word_found("refund", "")
