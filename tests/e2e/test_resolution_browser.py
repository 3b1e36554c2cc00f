"""A complaint from routing to the follow-up, in a real headless Chromium.

Intake routes it (the customer gets the deadline), the department proposes, the
supervisor sends it back and then approves (the customer gets the written notice with
the PDF), the customer's "同意" reply closes it, and a week later (clock moved in the
test) the satisfaction survey arrives. Every customer mail is read at the SMTP sink.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select

from pipeline.db.models import Case, OutboundMail
from pipeline.outbound.send import send_many

# The browser and console server fixtures are the console tests' own.
from tests.e2e.test_console_browser import _sign_in, browser, served  # noqa: F401
from tests.support import mails
from tests.support.console import add_staff
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.inline import ingest_bytes
from workers.runtime import Runtime
from workers.scheduler import run_timed_work

CUSTOMER = "wangwei@customer.example"
REF = "CP-2026-000001"


def _to_customer(smtp: SmtpSink, subject_part: str) -> list[EmailMessage]:
    found = []
    for _, recipients, raw in smtp.messages:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if CUSTOMER in recipients and subject_part in str(parsed["Subject"]):
            found.append(parsed)
    return found


def _status(runtime: Runtime) -> str:
    with runtime.factory() as session:
        return session.scalars(select(Case).where(Case.reference == REF)).one().status


def test_route_propose_send_back_approve_agree_and_follow_up(
    served: tuple[str, Runtime], browser, sink: SmtpSink  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    base, runtime = served
    add_staff(runtime.factory, "sam", "supervisor", language="en")
    intake = browser.new_context().new_page()
    _sign_in(intake, base, "ivy")
    intake.goto(f"{base}/cases/{REF}")
    assert intake.input_value("#f-severity") == "normal"  # suggested: routing needs no choice
    intake.click("#route")
    intake.wait_for_url("**done=routed_ok")
    wait_until(lambda: bool(_to_customer(sink, "预计")), 30, "the deadline letter")

    handler = browser.new_context().new_page()
    _sign_in(handler, base, "quinn")

    def propose(compensation: str) -> None:
        handler.goto(f"{base}/cases/{REF}")
        handler.fill("textarea[name=findings]", "密封圈装配错误，属于生产质量问题")
        handler.select_option("select[name=method]", "compensation")
        handler.fill("input[name=compensation_amount]", compensation)
        answers = handler.locator("textarea[name=answer]")
        for index in range(answers.count() - 1):  # the drafted points; the last row is spare
            answers.nth(index).fill(f"答复 {index + 1}：免费换新")
        handler.click("#propose")
        handler.wait_for_url("**done=proposed_ok")

    propose("800")
    assert _status(runtime) == "proposed"
    boss = browser.new_context().new_page()
    _sign_in(boss, base, "sam")
    boss.goto(f"{base}/cases/{REF}")
    boss.fill("#decide-form textarea[name=note]", "Replace it, no cash.")
    boss.click("#send-back")
    boss.wait_for_url("**done=decided_ok")
    assert _status(runtime) == "routed"
    propose("0")
    boss.goto(f"{base}/cases/{REF}")
    boss.click("#approve")
    boss.wait_for_url("**done=decided_ok")
    assert "Written notice issued" in boss.inner_text("#resolution")

    wait_until(lambda: bool(_to_customer(sink, "书面通知")), 30, "the written notice")
    (notice,) = _to_customer(sink, "书面通知")
    (pdf,) = [p for p in notice.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")

    ingest_bytes(runtime, mails.reply(to_message_id=str(notice["Message-ID"]),
                                      subject=f"Re: {notice['Subject']}", body="同意，谢谢。",
                                      sender=f"王伟 <{CUSTOMER}>"), name="agree.eml")
    assert _status(runtime) == "closed"
    with runtime.factory() as session:
        closed_at = session.scalars(select(Case).where(Case.reference == REF)).one().closed_at
    assert closed_at is not None
    report = run_timed_work(runtime, now=closed_at + timedelta(days=7, hours=1))
    assert len(report.surveyed) == 1
    with runtime.factory() as session:
        pending = list(session.scalars(select(OutboundMail.id).where(
            OutboundMail.status == "pending")))
    send_many(runtime.factory, outbound_ids=pending, transport=runtime.transport(),
              settings=runtime.settings)
    wait_until(lambda: bool(_to_customer(sink, "评价")), 30, "the satisfaction survey")
    survey = _to_customer(sink, "评价")[0].get_body(preferencelist=("plain",))
    assert survey is not None and f"{base}/survey/" in survey.get_content()
