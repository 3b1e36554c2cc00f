"""The console in a real headless Chromium against a real uvicorn server and SMTP sink.

Chromium is Debian's package (``/usr/bin/chromium``), driven by Playwright; no browser
is downloaded. The flow is the intake clerk's day: sign in, open the review queue,
correct a field, route the case; then the department's handler sees it, and the
department's notification with the processing form arrives at the SMTP server.
"""

from __future__ import annotations

import email
import email.policy
import os
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from config.settings import Settings
from console.server import make_server, start_in_thread
from tests.console.conftest import ingest_two_complaints
from tests.support.console import add_staff
from tests.support.smtp_sink import SmtpSink, free_port
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.queues import OUTBOX_QUEUE
from workers.runtime import Runtime
from workers.service import start_worker

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.slow


def _require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        from tests.support.services import unavailable

        unavailable("Chromium at /usr/bin/chromium")


@pytest.fixture
def served(tmp_path: Path, sink: SmtpSink) -> Iterator[tuple[str, Runtime]]:
    _require_chromium()
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "var", from_address="complaints@shop.example",
        smtp_host="127.0.0.1", smtp_port=sink.port, smtp_starttls=False,
        public_url=f"http://127.0.0.1:{port}", web_port=port,
    )
    runtime = build_runtime(settings)
    ingest_two_complaints(runtime)
    add_staff(runtime.factory, "ivy", "intake", language="en")
    add_staff(runtime.factory, "quinn", "handler", "quality", language="zh")
    server = make_server(settings, factory=runtime.factory,
                         send_outbound=runtime.enqueue_outbound_ids)
    thread = start_in_thread(server)
    sender = start_worker(runtime, queues={OUTBOX_QUEUE}, threads=1)  # as `complaints run`
    wait_until(lambda: server.started, 20, "the console server to start")
    yield f"http://127.0.0.1:{port}", runtime
    server.should_exit = True
    thread.join(timeout=10)
    sender.stop()
    runtime.engine.dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _notices_to(sink: SmtpSink, address: str) -> list[EmailMessage]:
    found = []
    for _, recipients, raw in sink.messages:
        if address in recipients:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
    return found


def test_review_correct_route_and_the_department_sees_it(
    served: tuple[str, Runtime], browser, sink: SmtpSink  # type: ignore[no-untyped-def]
) -> None:
    base, _ = served
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, base, "ivy")
    assert page.url.endswith("/queue")
    assert page.locator("tr.row", has_text="CP-2026-000001").count() == 1

    page.click("text=CP-2026-000001")
    page.wait_for_url(f"{base}/cases/CP-2026-000001")
    assert page.locator("label.weak", has_text="Phone").count() == 1  # no phone: highlighted
    page.fill("#f-customer_name", "王小伟")
    page.fill("#f-customer_phone", "13800138000")
    assert page.input_value("#f-category") == "quality"  # suggested at intake ("漏水")
    assert page.input_value("#f-severity") == "normal"  # suggested: no safety word
    page.click("#save")
    page.wait_for_url("**done=saved")
    assert page.input_value("#f-customer_name") == "王小伟"
    assert "corrected" in page.inner_text("table.audit")

    assert page.input_value("#department") == "quality"  # the suggestion is preselected
    assert "漏水" in page.inner_text("p.suggestion")
    page.fill("textarea[name=opinion]", "请质量部检查水壶密封")
    page.click("#route")
    page.wait_for_url("**done=routed_ok")
    assert "Routed." in page.inner_text("p.notice")

    page.goto(f"{base}/queue")
    assert page.locator("tr.row", has_text="CP-2026-000001").count() == 0
    context.close()

    handler = browser.new_context().new_page()
    _sign_in(handler, base, "quinn")
    assert handler.url.endswith("/department")
    assert handler.locator("tr.row", has_text="CP-2026-000001").count() == 1
    assert "本部门" in handler.inner_text("nav")
    handler.keyboard.press("j")  # keyboard: first row selected, Enter opens it
    handler.keyboard.press("Enter")
    handler.wait_for_url(f"{base}/cases/CP-2026-000001")
    handler.keyboard.press("g")
    handler.keyboard.press("s")
    handler.wait_for_url(f"{base}/search")
    handler.keyboard.press("/")
    assert handler.evaluate("document.activeElement.id") == "search-box"

    wait_until(lambda: bool(_notices_to(sink, "quality@example.com")), 30,
               "the department notice at the SMTP server")
    notice = _notices_to(sink, "quality@example.com")[0]
    assert "CP-2026-000001" in str(notice["Subject"])
    body = notice.get_body(preferencelist=("plain",))
    assert body is not None and f"{base}/cases/CP-2026-000001" in body.get_content()
    pdf = [p for p in notice.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdf) == 1 and pdf[0].get_content().startswith(b"%PDF")


def test_a_hostile_html_complaint_renders_inert_and_makes_no_outside_request(
    served: tuple[str, Runtime], browser  # type: ignore[no-untyped-def]
) -> None:
    base, _ = served
    context = browser.new_context()
    outside: list[str] = []
    dialogs: list[str] = []

    def watch(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(base) or url.startswith("data:") or url == "about:blank":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", watch)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _sign_in(page, base, "ivy")
    page.goto(f"{base}/cases/CP-2026-000002")
    frame_element = page.wait_for_selector("iframe.mail-html")
    assert frame_element.get_attribute("sandbox") == ""
    frame = frame_element.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    deadline = time.monotonic() + 2  # give any stray request or script the chance to run
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "crushed" in frame.inner_text("body")
    assert frame.locator("script, form, input, iframe, img, link, object, embed").count() == 0
    assert "evil.example" not in frame.content() and "tracker.example" not in frame.content()
    assert page.title() != "pwned" and dialogs == []
    assert outside == []
    context.close()
