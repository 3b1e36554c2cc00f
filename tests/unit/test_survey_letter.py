"""The satisfaction survey mail: five one-click links, reply instructions, both languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from letters.survey import SurveyLetter, render_survey
from pipeline.followup.links import read_survey_answer, sign_survey_answer

SECRET = "s3cret-for-tests"
BASE = "https://cs.example.com/survey/"
LINKS = {
    score: BASE + sign_survey_answer("CP-2026-000009", score, secret=SECRET)
    for score in range(1, 6)
}
LETTER = SurveyLetter(reference="CP-2026-000009", language="zh", customer_name="王小明",
                      closed_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
                      time_zone="Asia/Shanghai", links=LINKS, company_name="示例公司")


def test_chinese_survey_offers_every_score_and_a_reply() -> None:
    mail = render_survey(LETTER)
    assert mail.subject == "[CP-2026-000009] 请评价我们对您投诉的处理"
    assert "已于2026年11月20日处理完毕" in mail.text
    for score, label in [(5, "非常满意"), (1, "非常不满意")]:
        assert f"{score} 分 {label}：{LINKS[score]}" in mail.text
    assert "写上 1 至 5 的分数" in mail.text
    assert mail.html is not None and mail.html.count('<a href="https://cs.example.com/survey/') == 5


def test_links_in_the_mail_read_back_as_their_scores() -> None:
    mail = render_survey(replace(LETTER, language="en"))
    assert "5 - Very satisfied:" in mail.text
    line = next(x for x in mail.text.splitlines() if x.strip().startswith("2 - "))
    token = line.rsplit("/", 1)[1]
    assert read_survey_answer(token, secret=SECRET).score == 2


def test_every_score_needs_a_link() -> None:
    with pytest.raises(ValueError):
        render_survey(replace(LETTER, links={5: "https://x"}))
