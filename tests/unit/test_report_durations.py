"""Median times in the report read as people say them."""

from __future__ import annotations

import pytest

from pipeline.reports.export import duration


@pytest.mark.parametrize(("hours", "shown"), [
    (None, "—"),
    (0.0001, "不到 1 分钟 under a minute"),
    (0.25, "15 分钟 min"),
    (5.26, "5.3 小时 h"),
    (47.9, "47.9 小时 h"),
    (72, "3.0 天 days"),
])
def test_duration(hours: float | None, shown: str) -> None:
    assert duration(hours) == shown
