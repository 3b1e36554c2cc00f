"""In headless Chromium: the customer opens the status link from their acknowledgment and
writes to us; the Chinese handler's case page shows that message, and reads entirely
in Chinese: demands, correspondence kinds and the audit trail (sentences, no JSON)."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from pipeline.db.models import Case, Correspondence

# The browser and console server fixtures are the console tests' own.
from tests.e2e.test_console_browser import _sign_in, browser, served  # noqa: F401
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.runtime import Runtime

REF = "CP-2026-000001"
CUSTOMER = "wangwei@customer.example"


def _acknowledgment(sink: SmtpSink) -> EmailMessage:
    for _, recipients, raw in sink.messages:
        if CUSTOMER in recipients:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            return parsed
    raise AssertionError("no acknowledgment")


def _status_link(sink: SmtpSink, base: str) -> str:
    wait_until(lambda: any(CUSTOMER in r for _, r, _ in sink.messages), 30,
               "the acknowledgment to reach the SMTP server")
    body = _acknowledgment(sink).get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(re.escape(base) + r"/status/\S+", body.get_content())
    assert found is not None
    return found.group(0)


def test_customer_writes_on_the_status_page_and_the_chinese_case_page_is_all_chinese(
    served: tuple[str, Runtime], browser, sink: SmtpSink,  # type: ignore[no-untyped-def]  # noqa: F811
    tmp_path: Path,
) -> None:
    base, runtime = served
    intake = browser.new_context().new_page()
    _sign_in(intake, base, "ivy")  # an English-speaking clerk routes the case
    intake.goto(f"{base}/cases/{REF}")
    intake.check("input[name=demands][value=refund]")
    intake.click("#save")
    intake.wait_for_url("**done=saved")
    intake.click("#route")
    intake.wait_for_url("**done=routed_ok")
    assert "Ivy routed the case to Quality management" in intake.inner_text("table.audit")

    customer = browser.new_context().new_page()  # the customer: no account, only the link
    customer.goto(_status_link(sink, base))
    assert REF in customer.inner_text("#reference")
    assert customer.inner_text("#state") == "责任部门正在调查处理您的投诉。"
    assert customer.inner_text("#department") == "质量管理部"
    customer.fill("textarea[name=message]", "请问什么时候换货？我的电话 13912345678")
    customer.click("#send")
    customer.wait_for_selector("#sent")
    assert "我们已收到您的留言" in customer.inner_text("#sent")
    with runtime.factory() as session:
        case_id = session.scalars(select(Case.id).where(Case.reference == REF)).one()
        reply = session.scalars(select(Correspondence).where(
            Correspondence.case_id == case_id, Correspondence.kind == "reply")).one()
    assert reply.verified and "什么时候换货" in reply.body_text

    handler = browser.new_context().new_page()
    _sign_in(handler, base, "quinn")  # works in Chinese
    handler.goto(f"{base}/cases/{REF}")
    handler.screenshot(path=str(tmp_path / "case-zh.png"), full_page=True)
    assert (tmp_path / "case-zh.png").stat().st_size > 10_000
    demands = handler.inner_text("#correct-form fieldset")
    assert "换货" in demands and "退款" in demands
    thread = handler.inner_text("section.thread ol")
    assert "受理确认" in thread and "客户回复" in thread and "处理期限通知" in thread
    audit = handler.inner_text("table.audit")
    assert "Ivy 将投诉分派至 质量管理部（建议：质量管理部，关键词；责任：我方）" in audit
    assert "客户来信回复（经进度查询页面）" in audit
    assert not re.search(r'[{}"]', audit)  # no JSON
    visible = "\n".join((demands, thread, audit)).replace("Ivy", "")
    english = re.findall(r"[A-Za-z]{3,}", re.sub(r"\S+@\S+|CP-\d{4}-\d{6}", "", visible))
    assert english == [], english
