"""The status-page link: signed so it cannot be forged or moved to another case, alive
while the case is open and 90 days after, and carried by every customer letter (mail
and print) through the one ``status_url`` variable; never by the neutral receipt."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from letters.acknowledgment import AckLetter, RenderedMail, render_acknowledgment
from letters.deadline import DeadlineLetter, render_deadline
from letters.neutral_ack import render_neutral_ack
from letters.not_ours import NotOursLetter, render_not_ours
from letters.pdf.acknowledgment import PostalAck, acknowledgment_content
from letters.pdf.fonts import letter_font
from letters.pdf.letter import render_letters
from letters.pdf.resolution_notice import render_resolution_notice
from letters.pdf.samples import SAMPLE_NOTICE_EN, SAMPLE_NOTICE_ZH
from letters.survey import SurveyLetter, render_survey
from pipeline.followup.links import sign_survey_answer
from pipeline.links.status import (
    StatusLinkError,
    link_alive,
    read_document,
    read_status,
    sign_document,
    sign_status,
)

SECRET = "s3cret-for-tests"
URL = "https://cs.example.com/status/" + sign_status(42, secret=SECRET)
WHEN = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _mails(language: str, url: str) -> list[RenderedMail]:
    return [
        render_acknowledgment(AckLetter(
            reference="CP-2026-000042", language=language, customer_name="王伟", summary="漏水",
            phone_on_file="", received_at=WHEN, review_days=2, company_name="示例公司",
            service_phone="400-000-0000", status_url=url)),
        render_deadline(DeadlineLetter(
            reference="CP-2026-000042", language=language, customer_name="王伟",
            department_name="质量管理部", contact_name="", deadline=WHEN + timedelta(days=9),
            time_zone="Asia/Shanghai", company_name="示例公司", service_phone="400",
            status_url=url)),
        render_not_ours(NotOursLetter(
            reference="CP-2026-000042", language=language, customer_name="王伟",
            explanation="The carrier is responsible; please claim with them.",
            company_name="示例公司", service_phone="400", status_url=url)),
        render_survey(SurveyLetter(
            reference="CP-2026-000042", language=language, customer_name="王伟", closed_at=WHEN,
            time_zone="Asia/Shanghai", company_name="示例公司", status_url=url,
            links={s: f"https://cs.example.com/survey/{s}" for s in range(1, 6)})),
    ]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_customer_mail_carries_the_link_in_text_and_html(language: str) -> None:
    for mail in _mails(language, URL):
        assert URL in mail.text, mail.subject
        assert mail.html is not None and f'href="{URL}"' in mail.html, mail.subject
    for mail in _mails(language, ""):  # no link given: no paragraph about it
        assert "/status/" not in mail.text and "专属页面" not in mail.text


def test_the_neutral_receipt_to_an_unknown_sender_never_carries_a_link() -> None:
    mail = render_neutral_ack(company_name="示例公司", service_phone="400")
    assert "/status/" not in mail.text and "专属页面" not in mail.text


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler-utils")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return "".join(out.stdout.decode("utf-8").split())  # a long link may wrap


@pytest.mark.parametrize("language", ["zh", "en"])
def test_printed_letters_carry_the_link(language: str, tmp_path: Path) -> None:
    ack = PostalAck(reference="CP-2026-000042", language=language, customer_name="王伟",
                    address="上海市浦东新区世纪大道1号", letter_date="", received_at=WHEN,
                    phone_on_file="", review_days=2, company_name="示例公司",
                    company_address="上海", service_phone="400", status_url=URL)
    assert URL in _pdf_text(render_letters([acknowledgment_content(ack)]), tmp_path)
    sample = SAMPLE_NOTICE_ZH if language == "zh" else SAMPLE_NOTICE_EN
    notice = render_resolution_notice(replace(sample, status_url=URL), font=letter_font().name)
    assert URL in _pdf_text(notice, tmp_path)


def test_a_status_token_names_its_case_and_nothing_else_reads_as_one() -> None:
    token = sign_status(42, secret=SECRET)
    assert read_status(token, secret=SECRET) == 42
    forged = [token[:-2] + ("xx" if not token.endswith("xx") else "yy"),
              sign_status(42, secret="another key"), "42", "",
              sign_survey_answer("CP-2026-000042", 5, secret=SECRET),
              sign_document(42, 7, secret=SECRET), "x" * 5000]
    for wrong in forged:
        with pytest.raises(StatusLinkError):
            read_status(wrong, secret=SECRET)


def test_a_document_token_names_case_and_notice() -> None:
    link = read_document(sign_document(42, 7, secret=SECRET), secret=SECRET)
    assert (link.case_id, link.notice_id) == (42, 7)
    with pytest.raises(StatusLinkError):
        read_document(sign_status(42, secret=SECRET), secret=SECRET)


def test_a_link_works_while_open_and_90_days_after_closing() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert link_alive(None, now=now)
    assert link_alive(now - timedelta(days=90), now=now)
    assert not link_alive(now - timedelta(days=90, seconds=1), now=now)
