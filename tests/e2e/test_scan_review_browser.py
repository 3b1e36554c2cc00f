"""A scanned letter reviewed beside its scan, in a real headless Chromium.

A photographed letter goes through the real OCR; the reviewer opens its case and sees
the page image beside the record form, the outline of each field on the words it was
read from, and every request the page makes stays on the console's own origin. A
blank photo dropped in the scan folder then shows on the quarantine page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from config.settings import Settings
from console.server import make_server, start_in_thread
from pipeline.db.models import Case, FieldConfidence, ScanPage
from tests.console.test_scan_review_http import drop_in_scan_folder
from tests.e2e.test_console_browser import CHROMIUM, _require_chromium, _sign_in
from tests.integration.test_letters_pipeline import mail_with
from tests.support.console import add_staff
from tests.support.scans import ZH_NO_EMAIL, scanned_jpeg, to_png
from tests.support.smtp_sink import free_port
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    _require_chromium()
    port = free_port()
    settings = Settings(data_dir=tmp_path / "var", from_address="complaints@shop.example",
                        public_url=f"http://127.0.0.1:{port}", web_port=port)
    runtime = build_runtime(settings)
    ingest_bytes(runtime, mail_with("王建国 <wjg@customer.example>", "详见附件。",
                                    scanned_jpeg(ZH_NO_EMAIL), "letter.jpg", "image", "jpeg"),
                 name="letter")
    add_staff(runtime.factory, "ivy", "intake", language="zh")
    server = make_server(settings, factory=runtime.factory,
                         make_transport=runtime.make_transport)
    thread = start_in_thread(server)
    wait_until(lambda: server.started, 20, "the console server to start")
    yield f"http://127.0.0.1:{port}", runtime
    server.should_exit = True
    thread.join(timeout=10)
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


def test_scan_beside_the_form_with_outlines_in_place_and_no_outside_request(
    served: tuple[str, Runtime], browser, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    base, runtime = served
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        page_row = session.scalars(select(ScanPage)).one()
        stored = session.get(FieldConfidence, case.id)
    assert stored is not None and stored.sources is not None
    (phone_rect, *_) = stored.sources["customer_phone"]

    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    _sign_in(page, base, "ivy")
    page.goto(f"{base}/cases/{case.reference}")
    image = page.wait_for_selector("figure#page-1 img")
    page.wait_for_function(
        "document.querySelector('figure#page-1 img').complete"
        " && document.querySelector('figure#page-1 img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('figure#page-1 img').naturalWidth") > 300

    # Beside the form: the page is to the left of the record form, side by side.
    img_box = image.bounding_box()
    form_box = page.locator("#correct-form").bounding_box()
    assert img_box is not None and form_box is not None
    assert img_box["x"] + img_box["width"] <= form_box["x"] and img_box["width"] > 400
    assert abs(img_box["y"] - form_box["y"]) < 400

    # The outline of the phone number sits where OCR read it on the page.
    outline = page.locator("figure#page-1 rect.f-customer_phone").first
    box = outline.bounding_box()
    assert box is not None
    # (Centres compared: Chromium's box of an SVG rect includes half its 3 px stroke.)
    scale = img_box["width"] / page_row.width
    centre_x = img_box["x"] + (phone_rect["x"] + phone_rect["w"] / 2) * scale
    centre_y = img_box["y"] + (phone_rect["y"] + phone_rect["h"] / 2) * scale
    assert abs(box["x"] + box["width"] / 2 - centre_x) < 2
    assert abs(box["y"] + box["height"] / 2 - centre_y) < 2
    assert abs(box["width"] - phone_rect["w"] * scale) < 6
    for field in ("customer_name", "customer_address", "order_numbers"):
        assert page.locator(f"figure#page-1 rect.f-{field}").count() >= 1, field
    assert "王建国" in page.inner_text("figure#page-1 pre.ocr-text")
    assert page.locator("small.read-conf").count() >= 4  # the form says how sure each read was

    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "scan-review.png"), full_page=False)
    assert requests and all(url.startswith(base) for url in requests), requests
    assert f"{base}/cases/{case.reference}/scan/1.png" in requests

    # A photo with no writing on it is kept without a case, in the one quarantine view.
    blank = drop_in_scan_folder(runtime, "blank.png", to_png(Image.new("L", (900, 1200), 255)))
    page.goto(f"{base}/quarantine")
    row = page.locator(f'tr[data-href="/quarantine/scans/{blank}"]')
    assert "未能从信件中识别出任何文字" in row.inner_text()
    page.screenshot(path=str(tmp_path / "quarantine.png"))
    context.close()
