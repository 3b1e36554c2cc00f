"""The dispute loop in a real headless Chromium.

Intake routes; the department proposes a replacement (approved by the fixed policy:
notice 1 goes out); the customer refuses by mail; the case is ``disputed`` and the
department sees their words; it proposes compensation; the supervisor approves; notice
2 arrives naming notice 1; the customer agrees and the case closes. Then intake sends
another routed case back to review from its page.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from sqlalchemy import select

from pipeline.db.models import Case, Notice
from tests.e2e.test_console_browser import _sign_in, browser, served  # noqa: F401
from tests.support import mails
from tests.support.console import add_staff
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.inline import ingest_bytes
from workers.runtime import Runtime

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


def _case(runtime: Runtime, reference: str = REF) -> Case:
    with runtime.factory() as session:
        return session.scalars(select(Case).where(Case.reference == reference)).one()


def _reply(runtime: Runtime, notice: EmailMessage, body: str, name: str) -> None:
    ingest_bytes(runtime, mails.reply(to_message_id=str(notice["Message-ID"]),
                                      subject=f"Re: {notice['Subject']}", body=body,
                                      sender=f"王伟 <{CUSTOMER}>"), name=name)


def test_refuse_revise_approve_notice_v2_agree(
    served: tuple[str, Runtime], browser, sink: SmtpSink  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    base, runtime = served
    add_staff(runtime.factory, "sam", "supervisor", language="en")
    intake = browser.new_context().new_page()
    _sign_in(intake, base, "ivy")
    intake.goto(f"{base}/cases/{REF}")
    intake.click("#route")
    intake.wait_for_url("**done=routed_ok")

    handler = browser.new_context().new_page()
    _sign_in(handler, base, "quinn")

    def propose(method: str, compensation: str) -> None:
        handler.goto(f"{base}/cases/{REF}")
        handler.fill("textarea[name=findings]", "密封圈装配错误，属于生产质量问题")
        handler.select_option("select[name=method]", method)
        handler.fill("input[name=compensation_amount]", compensation)
        answers = handler.locator("textarea[name=answer]")
        for index in range(answers.count() - 1):
            answers.nth(index).fill(f"答复 {index + 1}：免费换新")
        handler.click("#propose")
        handler.wait_for_url("**done=proposed_ok")

    propose("replacement", "0")
    assert _case(runtime).status == "approved"  # the fixed policy approves a replacement
    wait_until(lambda: bool(_to_customer(sink, "书面通知")), 30, "notice 1")
    (first,) = _to_customer(sink, "书面通知")

    _reply(runtime, first, "我不同意：换新不够，我为此请了两天假。", "no.eml")
    assert _case(runtime).status == "disputed"
    handler.goto(f"{base}/cases/{REF}")
    assert "我为此请了两天假" in handler.inner_text("#dispute")
    propose("compensation", "200")
    assert _case(runtime).status == "proposed"  # compensation needs a supervisor

    boss = browser.new_context().new_page()
    _sign_in(boss, base, "sam")
    boss.goto(f"{base}/cases/{REF}")
    boss.fill("#decide-form textarea[name=note]", "Pay the two days.")
    boss.click("#approve")
    boss.wait_for_url("**done=decided_ok")
    assert f"{REF}-resolution-v2.pdf" in boss.inner_text("#resolution")
    wait_until(lambda: len(_to_customer(sink, "书面通知")) == 2, 30, "notice 2")
    second = _to_customer(sink, "书面通知")[1]
    body = second.get_body(preferencelist=("plain",))
    assert body is not None and "取代您未接受的" in body.get_content()
    assert "第 1 号通知" in body.get_content()
    with runtime.factory() as session:
        assert len(session.scalars(select(Notice).where(Notice.kind == "resolution")).all()) == 2

    _reply(runtime, second, "同意，谢谢。", "agree.eml")
    case = _case(runtime)
    assert (case.status, case.closing_kind) == ("closed", "agreed")


def test_intake_sends_a_case_back_to_review(
    served: tuple[str, Runtime], browser  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    base, runtime = served
    intake = browser.new_context().new_page()
    _sign_in(intake, base, "ivy")
    intake.goto(f"{base}/cases/{REF}")
    intake.click("#route")
    intake.wait_for_url("**done=routed_ok")
    intake.fill("#unroute-form textarea[name=reason]", "It is a delivery problem.")
    intake.click("#unroute")
    intake.wait_for_url("**done=unrouted_ok")
    assert _case(runtime).status == "new"
    assert intake.locator("#route-form").count() == 1  # back in review
