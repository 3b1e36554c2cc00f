"""Working-day deadlines: weekends, holidays, make-up working weekends, local time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from config.policies import PoliciesFileError, load_policies, read_policies
from config.settings import Settings
from pipeline.deadlines.calendar import WorkCalendar, deadline_at

POLICIES = load_policies(Settings())
CALENDAR = POLICIES.calendar


def test_plain_weeks_skip_the_weekend() -> None:
    plain = WorkCalendar()
    friday = date(2026, 11, 27)
    assert plain.add_working_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert plain.add_working_days(friday, 5) == date(2026, 12, 4)
    assert plain.add_working_days(friday, 0) == friday
    assert plain.working_days_between(friday, date(2026, 12, 4)) == 5
    assert plain.working_days_between(date(2026, 12, 4), friday) == -5
    with pytest.raises(ValueError):
        plain.add_working_days(friday, -1)


def test_national_day_week_and_its_make_up_saturday() -> None:
    # 30 Sep 2026 (Wed) + 1 working day: 1–7 Oct are holidays, 8 Oct (Thu) is next.
    assert CALENDAR.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # Saturday 10 Oct is worked to make up for the holiday.
    assert CALENDAR.is_working_day(date(2026, 10, 10))
    assert CALENDAR.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert not CALENDAR.is_working_day(date(2026, 10, 11))


def test_deadline_counts_on_the_local_calendar_and_ends_at_close_of_business() -> None:
    # 23:30 UTC on Thursday 26 Nov is already Friday 27 Nov in Shanghai.
    routed = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    due = deadline_at(routed, 1, CALENDAR, time_zone="Asia/Shanghai", end_of_day_hour=18)
    assert due.isoformat() == "2026-11-30T18:00:00+08:00"
    due_london = deadline_at(routed, 1, CALENDAR, time_zone="Europe/London", end_of_day_hour=17)
    assert due_london.isoformat() == "2026-11-27T17:00:00+00:00"


def test_deadline_rules_first_match_wins() -> None:
    assert POLICIES.working_days_for("quality", "critical") == 2
    assert POLICIES.working_days_for("quality", "high") == 5
    assert POLICIES.working_days_for("quality", "normal") == 10
    assert POLICIES.working_days_for("logistics", "low") == 5
    assert POLICIES.working_days_for("sales", "normal") == POLICIES.default_working_days


def test_approval_authority() -> None:
    assert POLICIES.needs_approval("compensation", 10)  # always approved by a supervisor
    assert POLICIES.needs_approval("replacement", 501)  # above the authority limit
    assert not POLICIES.needs_approval("replacement", 0)  # fixed policy
    assert not POLICIES.needs_approval("apology", 500)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[approval]\nauthority_limit = 1\n", "the setting 'deadlines' is missing"),
        ("[deadlines]\ndefault_working_days = 5\n[[deadlines.rule]]\nseverity = 'urgent'\n"
         "working_days = 1\n[approval]\nauthority_limit = 1\n", "unknown severity 'urgent'"),
        ("[deadlines]\ndefault_working_days = 5\n[[deadlines.rule]]\nworking_days = 0\n"
         "[approval]\nauthority_limit = 1\n", "needs working_days ≥ 1"),
        ("[deadlines]\ndefault_working_days = 5\n[approval]\nauthority_limit = 1\n"
         "always = ['bribe']\n", "unknown handling methods: bribe"),
        ("[deadlines]\ndefault_working_days = 5\n[approval]\nauthority_limit = 1\n"
         "[calendar]\nholidays = ['31 Feb']\n", "YYYY-MM-DD"),
        ("[deadlines\n", "cannot be read"),
    ],
)
def test_bad_policies_file_names_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "policies.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PoliciesFileError, match=re.escape(message)):
        read_policies(path)
