"""Merging a duplicate in a real headless Chromium: the case page's history and merge form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from console.server import make_server, start_in_thread
from pipeline.db.models import Case
from tests.e2e.test_console_browser import _require_chromium, _sign_in, browser  # noqa: F401
from tests.support import mails
from tests.support.console import add_staff
from tests.support.smtp_sink import free_port
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

pytestmark = pytest.mark.slow
FIRST, DUPLICATE = "CP-2026-000001", "CP-2026-000002"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    """GIVEN Wang Wei's complaint and his second mail about it, which opened a case too."""
    _require_chromium()
    port = free_port()
    settings = Settings(data_dir=tmp_path / "var", public_url=f"http://127.0.0.1:{port}",
                        web_port=port)
    runtime = build_runtime(settings)
    for number, subject in enumerate(("水壶漏水", "水壶漏水，再次来信")):
        ingest_bytes(runtime, mails.complaint(sender="王伟 <wangwei@customer.example>",
                                              subject=subject, body="电水壶底部漏水。\n王伟\n"),
                     name=f"{number}.eml")
    add_staff(runtime.factory, "ivy", "intake", language="en")
    server = make_server(settings, factory=runtime.factory)
    thread = start_in_thread(server)
    wait_until(lambda: server.started, 20, "the console server to start")
    yield f"http://127.0.0.1:{port}", runtime
    server.should_exit = True
    thread.join(timeout=10)
    runtime.engine.dispose()


def test_intake_merges_the_duplicate_from_its_case_page(
        served: tuple[str, Runtime], browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, runtime = served
    page = browser.new_page()
    _sign_in(page, base, "ivy")
    page.goto(f"{base}/cases/{DUPLICATE}")
    history = page.locator("#related-cases")
    assert history.locator(f"a[href='/cases/{FIRST}']").count() == 1
    assert page.input_value("#merge-into") == FIRST  # the customer's open case, suggested
    page.click("#merge")
    page.wait_for_url(f"{base}/cases/{FIRST}?done=merged_ok")
    assert "merged into this case" in page.locator("#related-cases").inner_text()
    page.click(f"#related-cases a[href='/cases/{DUPLICATE}']")
    page.wait_for_url(f"{base}/cases/{DUPLICATE}")
    assert page.locator("#merged-into").inner_text() == FIRST
    assert page.locator("#merge-form").count() == 0  # closed: nothing more to merge
    with runtime.factory() as session:
        duplicate = session.scalars(select(Case).where(Case.reference == DUPLICATE)).one()
        assert duplicate.status == "merged"
