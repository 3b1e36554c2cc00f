"""The deadline letter in both languages: first deadline, third party, a moved date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from letters.deadline import DeadlineLetter, render_deadline

LETTER = DeadlineLetter(
    reference="CP-2026-000123",
    language="zh",
    customer_name="王小明",
    department_name="质量管理部",
    contact_name="李娜",
    deadline=datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
    time_zone="Asia/Shanghai",
    company_name="示例公司",
    service_phone="400-000-0000",
)


def test_first_deadline_in_chinese() -> None:
    mail = render_deadline(LETTER)
    assert mail.subject == "[CP-2026-000123] 您的投诉正在处理，预计2026年12月4日前答复"
    assert "现由质量管理部负责调查处理" in mail.text
    assert "我们将在2026年12月4日前给您书面答复" in mail.text
    assert "负责处理的工作人员：李娜" in mail.text
    assert mail.html is not None and "<strong>2026年12月4日</strong>" in mail.html


def test_first_deadline_in_english_with_a_third_party() -> None:
    mail = render_deadline(replace(LETTER, language="en-GB", customer_name="Jane Smith",
                                   department_name="Logistics", third_party="SF Express"))
    assert mail.subject.startswith("[CP-2026-000123] Your complaint is being handled")
    assert "Dear Jane Smith," in mail.text
    assert "It involves SF Express." in mail.text
    assert "by 4 December 2026" in mail.text


def test_moved_deadline_gives_old_date_new_date_and_reason() -> None:
    moved = replace(LETTER, changed=True, previous_deadline=LETTER.deadline,
                    deadline=datetime(2026, 12, 11, 10, 0, tzinfo=UTC),
                    reason="需要等待第三方检测报告")
    mail = render_deadline(moved)
    assert mail.subject == "[CP-2026-000123] 您的投诉处理期限已调整为2026年12月11日"
    assert "原定于2026年12月4日前给您答复，现调整为2026年12月11日前" in mail.text
    assert "调整原因：需要等待第三方检测报告" in mail.text
    english = render_deadline(replace(moved, language="en", reason="We await a lab report."))
    assert "Why: We await a lab report." in english.text


def test_staff_and_customer_text_is_escaped_in_html() -> None:
    mail = render_deadline(replace(LETTER, changed=True, previous_deadline=LETTER.deadline,
                                   customer_name="<script>x</script>",
                                   reason="<img src=http://evil/>"))
    assert mail.html is not None
    assert "<script>" not in mail.html and "<img" not in mail.html
    assert "&lt;img src=http://evil/&gt;" in mail.html
