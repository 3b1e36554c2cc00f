"""The wording after the notice: the revision line, the one reminder, staff notes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from letters.disputes import (
    AgreementReminder,
    render_agreement_reminder,
    revision_line,
    staff_note,
)

NOTICE = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def _reminder(language: str, *, post: bool = False, name: str = "Mary") -> AgreementReminder:
    return AgreementReminder(reference="CP-2026-000123", language=language, customer_name=name,
                             notice_date=NOTICE, closes_on=CLOSES, time_zone="Asia/Shanghai",
                             company_name="Example Co.", service_phone="400-000-0000",
                             post=post)


def test_the_reminder_names_the_closing_day_in_english() -> None:
    mail = render_agreement_reminder(_reminder("en"))
    assert mail.subject == "[CP-2026-000123] Please answer our written answer to your complaint"
    assert "we will close the case on 8 December 2026" in mail.text
    assert 'simply reply "I agree"' in mail.text
    assert mail.html is not None and "8 December 2026" in mail.html


def test_the_reminder_names_the_closing_day_in_chinese() -> None:
    mail = render_agreement_reminder(_reminder("zh", name="王建国"))
    assert "2026年12月8日" in mail.text and "王建国" in mail.text
    assert "请直接回复“同意”" in mail.text


def test_a_posted_reminder_asks_for_a_letter_not_a_reply() -> None:
    mail = render_agreement_reminder(_reminder("en", post=True))
    assert "write to us quoting the reference" in mail.text and "reply" not in mail.text


def test_the_customer_name_is_escaped_in_html() -> None:
    mail = render_agreement_reminder(_reminder("en", name="<b>Mary</b> & Co"))
    assert mail.html is not None and "<b>Mary</b>" not in mail.html
    assert "&lt;b&gt;Mary&lt;/b&gt; &amp; Co" in mail.html


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "It replaces our notice no. 1 of 24 November 2026"),
    ("zh", "取代您未接受的24 November 2026第 1 号通知"),
])
def test_the_revision_line_names_the_notice_it_replaces(language: str, expected: str) -> None:
    line = revision_line(language=language, number=2, previous_number=1,
                         previous_date="24 November 2026")
    assert expected in line and "\n" not in line


def test_staff_notes_are_bilingual_and_quote_the_customer_cleanly() -> None:
    text = staff_note("dispute_escalation", reference="CP-2026-000123", rounds=2,
                      words="No!\x1b[31m\u202e", link="http://x/cases/CP-2026-000123")
    assert "refused the written resolution of CP-2026-000123 2 times" in text
    assert "需主管介入" in text and "No!" in text
    assert "\x1b" not in text and "\u202e" not in text
