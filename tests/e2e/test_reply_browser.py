"""Writing to the customer in a real headless Chromium.

Intake routes 王伟's complaint; he writes again; the quality handler (console in
Chinese) sees the case on top of the department's queue marked 客户来信, opens it,
starts from a reply template, attaches a file and sends. The customer's mail server
(aiosmtpd) receives the reply threaded under his mail, with the file.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from pipeline.db.models import Case, ReplyTemplate

# The browser and console server fixtures are the console tests' own.
from tests.e2e.test_console_browser import _sign_in, browser, served  # noqa: F401
from tests.support import mails
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


def test_the_handler_answers_the_customer_with_a_file(
    served: tuple[str, Runtime], browser, sink: SmtpSink,  # type: ignore[no-untyped-def]  # noqa: F811
    tmp_path: Path,
) -> None:
    base, runtime = served
    with runtime.factory() as session, session.begin():
        session.add(ReplyTemplate(name="换货安排", language="zh", updated_by="ada",
                                  body="{name}您好：\n关于 {reference}，我们已安排换货。"))
    intake = browser.new_context().new_page()
    _sign_in(intake, base, "ivy")
    intake.goto(f"{base}/cases/{REF}")
    intake.click("#route")
    intake.wait_for_url("**done=routed_ok")
    raw = mails.reply(to_message_id=None, subject=f"回复：[{REF}]", body="请问什么时候换货？",
                      sender=f"王伟 <{CUSTOMER}>")
    ingest_bytes(runtime, raw, name="again.eml")
    customer_mail_id = str(email.message_from_bytes(raw, policy=email.policy.default)[
        "Message-ID"])

    handler = browser.new_context().new_page()
    _sign_in(handler, base, "quinn")
    handler.goto(f"{base}/department")
    first = handler.locator("#case-list tbody tr").first
    assert REF in first.inner_text() and "客户来信" in first.inner_text()
    first.locator("a").click()
    handler.wait_for_url(f"**/cases/{REF}")
    handler.select_option("#reply-template", label="换货安排")
    handler.click("#use-template")
    handler.wait_for_url("**template=*")
    assert handler.input_value("#reply-text") == "王伟您好：\n关于 CP-2026-000001，我们已安排换货。"
    handler.fill("#reply-text", handler.input_value("#reply-text") + "\n快递单号见附件。")
    waybill = tmp_path / "快递单.txt"
    waybill.write_text("SF1234567890", encoding="utf-8")
    handler.set_input_files("#reply-files", str(waybill))
    handler.click("#send-reply")
    handler.wait_for_url("**done=reply_sent_email*")
    assert "答复已通过电子邮件发送给客户" in handler.inner_text("main")

    wait_until(lambda: bool(_to_customer(sink, "关于您的投诉")), 30, "the reply")
    (reply,) = _to_customer(sink, "关于您的投诉")
    assert reply["In-Reply-To"] == customer_mail_id
    text = reply.get_body(("plain",))
    assert text is not None and "快递单号见附件。" in text.get_content()
    (attached,) = list(reply.iter_attachments())
    assert (attached.get_filename(), attached.get_content()) == ("快递单.txt", "SF1234567890")
    with runtime.factory() as session:
        case = session.scalars(select(Case).where(Case.reference == REF)).one()
    assert case.customer_wrote_at is None
    handler.goto(f"{base}/department")
    assert "客户来信" not in handler.inner_text("#case-list")
