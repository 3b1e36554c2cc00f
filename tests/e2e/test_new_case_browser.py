"""Recording complaints by hand in a real headless Chromium (issue 13).

An intake clerk (English console) takes a phone complaint with no email address: the
case page says the acknowledgment was given on the phone. A supervisor (Chinese
console) records a counter complaint with a postal address: its printed
acknowledgment waits in the print queue.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.db.models import Case, PrintLetter
from tests.e2e.test_console_browser import _sign_in, browser, served  # noqa: F401 - fixtures
from tests.support.console import add_staff
from workers.runtime import Runtime

pytestmark = pytest.mark.slow


def _case(runtime: Runtime, reference: str) -> Case:
    with runtime.factory() as session:
        return session.scalars(select(Case).where(Case.reference == reference)).one()


def test_a_phone_and_a_counter_complaint_recorded_in_the_browser(
    served: tuple[str, Runtime], browser  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    base, runtime = served
    add_staff(runtime.factory, "sue", "supervisor", language="zh")

    clerk = browser.new_context().new_page()
    _sign_in(clerk, base, "ivy")
    clerk.click("nav >> text=New complaint")
    clerk.wait_for_url(f"{base}/cases/new")
    clerk.check("input[name=channel][value=phone]")
    clerk.fill("input[name=name]", "王芳")
    clerk.fill("input[name=phone]", "138 0013 8000")
    clerk.select_option("select[name=language]", "zh")
    clerk.fill("textarea[name=text]", "客户来电：电水壶（订单号 DD2026112800789）漏水，要求换货。")
    clerk.click("button:has-text('Record the complaint')")
    clerk.wait_for_url("**done=recorded_ok")

    reference = clerk.inner_text("h1").split(" ")[0]
    assert clerk.get_attribute("#ack-state", "data-state") == "verbal"
    assert "given on the phone or in person" in clerk.inner_text("#ack-state")
    phone_case = _case(runtime, reference)
    assert (phone_case.channel, phone_case.taken_by) == ("phone", "ivy")
    assert phone_case.customer_phone == "+8613800138000"
    assert clerk.input_value("#f-customer_phone") == "+8613800138000"  # ready for review

    supervisor = browser.new_context().new_page()
    _sign_in(supervisor, base, "sue")
    supervisor.click("nav >> text=登记投诉")
    supervisor.wait_for_url(f"{base}/cases/new")
    assert "客户陈述" in supervisor.inner_text("form.record")
    supervisor.check("input[name=channel][value=visit]")
    supervisor.fill("input[name=name]", "李娜")
    supervisor.fill("textarea[name=address]", "北京市朝阳区建国路88号")
    supervisor.fill("textarea[name=text]", "客户到柜台反映：收到的餐桌有划痕，要求换货。")
    supervisor.click("button:has-text('登记投诉')")
    supervisor.wait_for_url("**done=recorded_ok")

    assert supervisor.get_attribute("#ack-state", "data-state") == "print_waiting"
    assert "书面回执等待打印" in supervisor.inner_text("#ack-state")
    counter = _case(runtime, supervisor.inner_text("h1").split(" ")[0])
    assert (counter.channel, counter.taken_by) == ("visit", "sue")
    with runtime.factory() as session:
        letter = session.scalars(select(PrintLetter).where(
            PrintLetter.case_id == counter.id)).one()
    assert letter.kind == "acknowledgment" and "建国路88号" in letter.recipient
