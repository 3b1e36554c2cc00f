"""Channels carry the record form's names (电话, 现场, 电邮, 信函, 其他) wherever read."""

from __future__ import annotations

from decimal import Decimal

from letters.channels import channel_name
from pipeline.reports.export import summary_lines
from pipeline.reports.statistics import Summary


def _summary(by_channel: dict[str, int]) -> Summary:
    return Summary(period="2026-12", cases=sum(by_channel.values()), by_department={},
                   by_channel=by_channel, by_category={}, by_product={}, by_method={},
                   loss_total=Decimal(0), compensation_total=Decimal(0),
                   closed_with_deadline=0, closed_within_deadline=0,
                   median_hours_to_acknowledge=None, median_days_to_close=None,
                   satisfaction_answers=0, satisfaction_average=None,
                   satisfaction_by_department={})


def test_the_statistics_count_each_channel_under_its_record_form_name() -> None:
    lines = dict(summary_lines(_summary({"phone": 3, "visit": 2, "email": 5, "letter": 1,
                                         "other": 1}), departments=()))

    assert lines["渠道 Channel: 电话 Phone"] == "3"
    assert lines["渠道 Channel: 现场 In person"] == "2"
    assert lines["渠道 Channel: 电邮 Email"] == "5"
    assert lines["渠道 Channel: 信函 Letter"] == "1"
    assert lines["渠道 Channel: 其他 Other"] == "1"


def test_a_channel_name_in_one_language_or_both() -> None:
    assert channel_name("visit") == "现场 In person"
    assert channel_name("visit", "zh") == "现场" and channel_name("phone", "en") == "Phone"
    assert channel_name("onsite") == "现场 In person"  # the earlier spelling of the key
    assert channel_name("fax") == "fax"
