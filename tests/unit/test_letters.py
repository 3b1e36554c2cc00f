"""The acknowledgment letter: what the customer is told, in Chinese and English."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from letters.acknowledgment import AckLetter, RenderedMail, readable_phone, render_acknowledgment

REF = "CP-2026-000123"


def letter(**changes: object) -> AckLetter:
    base = AckLetter(
        reference=REF,
        language="en",
        customer_name="Jane Doe",
        summary="The washing machine leaks after two days.",
        phone_on_file="",
        received_at=datetime(2026, 3, 5, 9, 30, tzinfo=UTC),
        review_days=2,
        company_name="Example Co.",
        service_phone="400-000-0000",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def both(mail: RenderedMail) -> list[str]:
    assert mail.html is not None
    return [mail.text, mail.html]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def tags_of(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_english_subject_quotes_the_reference() -> None:
    mail = render_acknowledgment(letter(language="en"))

    assert mail.subject == f"[{REF}] We have received your complaint"


def test_chinese_subject_quotes_the_reference() -> None:
    mail = render_acknowledgment(letter(language="zh"))

    assert mail.subject == f"[{REF}] 我们已收到您的投诉"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_body_quotes_reference_and_summary_in_text_and_html(language: str) -> None:
    mail = render_acknowledgment(letter(language=language))

    for body in both(mail):
        assert REF in body
        assert "The washing machine leaks after two days." in body


def test_english_without_phone_asks_for_one_by_reply_keeping_the_reference() -> None:
    mail = render_acknowledgment(letter(language="en", phone_on_file=""))

    for body in both(mail):
        assert "reply to this email with a phone number" in body
        assert f"keeping the reference [{REF}] in the subject" in body


def test_chinese_without_phone_asks_for_one_by_reply_keeping_the_reference() -> None:
    mail = render_acknowledgment(letter(language="zh", phone_on_file=""))

    for body in both(mail):
        assert "请直接回复本邮件，告知您的联系电话" in body
        assert f"请保留邮件主题中的受理编号 [{REF}]" in body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_phone_on_file_is_confirmed_in_national_format_not_requested(language: str) -> None:
    """GIVEN a number on file THEN it is shown readably and only a correction is asked for."""
    mail = render_acknowledgment(letter(language=language, phone_on_file="+8613800138000"))

    for body in both(mail):
        assert "138 0013 8000" in body
        assert "+8613800138000" not in body
        assert "reply to this email with a phone number" not in body
        assert "告知您的联系电话" not in body
    assert ("If this number is wrong" in mail.text) or ("如号码有误" in mail.text)


def test_chinese_letter_uses_business_register() -> None:
    mail = render_acknowledgment(letter(language="zh", customer_name="张三"))

    assert mail.text.startswith("尊敬的张三：\n\n您好！")
    assert "此致" in mail.text and "敬礼！" in mail.text
    assert "Example Co. 客户服务部" in mail.text


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Dear customer,"), ("zh", "尊敬的客户：")]
)
def test_empty_name_gets_a_neutral_salutation(language: str, greeting: str) -> None:
    mail = render_acknowledgment(letter(language=language, customer_name="  "))

    assert mail.text.startswith(greeting)
    assert mail.html is not None and f"<p>{greeting}</p>" in mail.html


def test_an_address_in_place_of_a_name_gets_a_neutral_salutation() -> None:
    mail = render_acknowledgment(letter(customer_name="jane@example.com"))

    assert mail.text.startswith("Dear customer,")


def test_what_happens_next_states_review_days_department_and_deadline() -> None:
    mail = render_acknowledgment(letter(review_days=3))

    for body in both(mail):
        assert "within 3 working days" in body
        assert "department responsible will then investigate" in body
        assert "tell you by when we expect to resolve it" in body


def test_one_review_day_is_singular() -> None:
    mail = render_acknowledgment(letter(review_days=1))

    assert "within 1 working day." in mail.text


def test_chinese_next_steps_state_review_days() -> None:
    mail = render_acknowledgment(letter(language="zh", review_days=3))

    for body in both(mail):
        assert "3个工作日内审核您的投诉" in body
        assert "处理期限" in body


def test_customer_markup_is_escaped_in_html_and_literal_in_text() -> None:
    """GIVEN a summary and name full of markup WHEN rendered THEN HTML shows it, never runs it."""
    hostile = 'I paid <b>500</b> & got <script>alert("x")</script> <img src="/etc/passwd">'
    mail = render_acknowledgment(letter(summary=hostile, customer_name="<i>Bob</i> & Co"))

    assert mail.html is not None
    assert "<script" not in mail.html and "<img" not in mail.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in mail.html
    assert "&lt;i&gt;Bob&lt;/i&gt; &amp; Co" in mail.html
    assert hostile in mail.text
    assert "Dear <i>Bob</i> & Co," in mail.text
    assert {"script", "img", "i", "b"}.isdisjoint(tags_of(mail.html))


def test_template_syntax_in_customer_text_is_not_evaluated() -> None:
    mail = render_acknowledgment(letter(summary="{{ 7*7 }} {% if true %}x{% endif %}"))

    assert "{{ 7*7 }} {% if true %}x{% endif %}" in mail.text
    assert "49" not in mail.text


def test_summary_line_breaks_are_kept_and_blank_runs_collapsed() -> None:
    mail = render_acknowledgment(letter(summary="First line.\n\n\n\nSecond line.\r\nThird."))

    assert mail.html is not None
    assert "First line.<br>\n<br>\nSecond line.<br>\nThird." in mail.html
    assert "    “First line.\n\n    Second line.\n    Third.”" in mail.text


def test_control_characters_in_customer_text_are_removed() -> None:
    mail = render_acknowledgment(letter(summary="Broken\x1b[31m red\x00 text\u202e"))

    assert "Broken[31m red text" in mail.text
    assert "\x1b" not in mail.text and "\x00" not in mail.text and "\u202e" not in mail.text


def test_empty_summary_leaves_out_the_quote() -> None:
    mail = render_acknowledgment(letter(summary="   "))

    assert mail.html is not None
    assert "in your own words" not in mail.text
    assert "<blockquote" not in mail.html


def test_date_is_shown_in_the_configured_time_zone() -> None:
    """GIVEN 20:00 UTC on 5 March WHEN shown for Shanghai (UTC+8) THEN it is 6 March."""
    late = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)

    en = render_acknowledgment(letter(received_at=late, time_zone="Asia/Shanghai"))
    zh = render_acknowledgment(letter(language="zh", received_at=late, time_zone="Asia/Shanghai"))

    assert "on 6 March 2026" in en.text
    assert "我们已于2026年3月6日收到您的投诉" in zh.text


def test_unknown_language_falls_back_to_english_and_zh_variants_to_chinese() -> None:
    assert render_acknowledgment(letter(language="fr")).subject.endswith("received your complaint")
    assert render_acknowledgment(letter(language="zh-CN")).subject.endswith("我们已收到您的投诉")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_text_and_html_carry_the_same_facts(language: str) -> None:
    mail = render_acknowledgment(
        letter(language=language, phone_on_file="+8613800138000", review_days=4)
    )

    for fact in (REF, "138 0013 8000", "400-000-0000", "Example Co."):
        assert all(fact in body for body in both(mail)), fact


def test_html_is_a_complete_document_with_language() -> None:
    mail = render_acknowledgment(letter(language="zh"))

    assert mail.html is not None
    assert mail.html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in mail.html
    assert '<meta charset="utf-8">' in mail.html


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+8613800138000", "138 0013 8000"),
        ("+861012345678", "010 1234 5678"),
        ("+442079460958", "+44 20 7946 0958"),
        ("not a number", "not a number"),
    ],
)
def test_readable_phone(stored: str, shown: str) -> None:
    assert readable_phone(stored) == shown
