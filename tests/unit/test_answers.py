"""Agreement and satisfaction answers, Chinese and English, erring towards 'ask a person'."""

from __future__ import annotations

import pytest

from pipeline.text.answers import agreement, satisfaction_score


@pytest.mark.parametrize(
    "text",
    ["同意", "同意。谢谢", "好的，没问题", "可以，就这样处理吧", "我接受这个方案", "I agree",
     "Agreed, thanks.", "OK, that's fine with me", "Yes, I accept the refund.", "确认"],
)
def test_agreement(text: str) -> None:
    assert agreement(text) is True


@pytest.mark.parametrize(
    "text",
    ["不同意", "我不同意这个处理结果", "不接受，赔偿太少了", "I do not agree", "I don't agree.",
     "This is not acceptable", "I disagree with your findings", "We reject this offer"],
)
def test_refusal(text: str) -> None:
    assert agreement(text) is False


@pytest.mark.parametrize(
    "text",
    ["", "   ", "请问退款什么时候到账？", "When will the refund arrive?",
     "同意退货，但是不接受只赔10元", "I agree with the return but I cannot accept the amount"],
)
def test_unclear_answers_go_to_a_person(text: str) -> None:
    assert agreement(text) is None


def test_only_the_top_of_a_long_reply_counts() -> None:
    argument = "我想再说明一下情况。" * 40 + "最后，同意"
    assert agreement(argument) is None


@pytest.mark.parametrize(
    ("text", "score"),
    [("5", 5), ("5分", 5), ("4/5", 4), ("3 out of 5", 3), ("给 2 星", 2), ("非常满意", 5),
     ("满意", 4), ("一般吧", 3), ("不满意", 2), ("非常不满意！", 1), ("Very satisfied", 5),
     ("satisfied", 4), ("It was ok", 3), ("dissatisfied", 2), ("terrible service", 1),
     ("Excellent, thank you", 5)],
)
def test_satisfaction_scores(text: str, score: int) -> None:
    assert satisfaction_score(text) == score


@pytest.mark.parametrize("text", ["", "谢谢", "Thanks", "7", "12345", "between 3 and 5", "0"])
def test_no_score(text: str) -> None:
    assert satisfaction_score(text) is None
