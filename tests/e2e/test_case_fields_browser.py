"""Classification and the person responsible in a real headless Chromium (issue 13).

The intake clerk sees the suggested category and severity marked, raises the severity
(the refusal to route an unclassified case is tested over HTTP) and routes to a handler;
the customer's deadline letter names that handler; a supervisor then reassigns the case
to another handler of the department.
"""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db.models import Case
from tests.e2e.test_console_browser import _sign_in, browser, served  # noqa: F401
from tests.e2e.test_resolution_browser import _to_customer
from tests.support.console import add_staff
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.runtime import Runtime

REF = "CP-2026-000001"


def test_classify_route_to_a_handler_and_reassign(
    served: tuple[str, Runtime], browser, sink: SmtpSink  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    base, runtime = served
    add_staff(runtime.factory, "sam", "supervisor", language="en")
    add_staff(runtime.factory, "qiu", "handler", "quality", language="en")
    intake = browser.new_context().new_page()
    _sign_in(intake, base, "ivy")
    intake.goto(f"{base}/cases/{REF}")
    assert intake.input_value("#f-category") == "quality"
    assert "漏水" in intake.inner_text("small.suggested-mark[data-field=category]")
    assert intake.input_value("#f-severity") == "normal"  # no safety word: suggested normal
    assert intake.locator("small.suggested-mark[data-field=severity]").count() == 1

    intake.select_option("#f-severity", "high")
    intake.click("#save")
    intake.wait_for_url("**done=saved")
    assert intake.locator("#needs-classification").count() == 0
    intake.select_option("#route-handler", "quinn")
    intake.click("#route")
    intake.wait_for_url("**done=routed_ok")
    assert intake.inner_text("#handler-name") == "Quinn"
    wait_until(lambda: bool(_to_customer(sink, "预计")), 30, "the deadline letter")
    letter = _to_customer(sink, "预计")[0].get_body(("plain",))
    assert letter is not None and "Quinn" in letter.get_content()

    supervisor = browser.new_context().new_page()
    _sign_in(supervisor, base, "sam")
    supervisor.goto(f"{base}/cases/{REF}")
    supervisor.select_option("#assign-handler", "qiu")
    supervisor.click("#assign")
    supervisor.wait_for_url("**done=assigned_ok")
    assert supervisor.inner_text("#handler-name") == "Qiu"
    with runtime.factory() as session:
        case = session.scalars(select(Case).where(Case.reference == REF)).one()
        assert (case.handler, case.severity) == ("qiu", "high")
