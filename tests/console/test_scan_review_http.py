"""A scanned letter reviewed beside its scan, and unreadable scans in the one quarantine.

Real OCR on pages drawn at run time, on SQLite and PostgreSQL: the case page shows
each page as a PNG we re-encoded (never the customer's bytes), under the console's
no-request CSP, with the OCR text, field outlines on the words and weak fields
marked; only staff who may see the case get its pages. A blank photo and a broken
PDF in the scan folder are listed by ``/quarantine`` and ``cases list --quarantined``.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, update

from config.settings import Settings
from console.app import create_app
from pipeline.cases.queries import list_quarantined
from pipeline.db.models import Case, FieldConfidence, LetterScan, ScanPage
from tests.integration.test_letters_pipeline import mail_with
from tests.support.console import add_staff, sign_in
from tests.support.scans import EN_WITH_EMAIL, scanned_jpeg, to_png
from workers.app import build_runtime
from workers.inline import ingest_bytes, read_scan_now
from workers.runtime import Runtime
from workers.scan_poller import ScanFolderPoller

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class LetterWorld:
    runtime: Runtime
    reference: str
    photo: bytes

    def client(self) -> TestClient:
        app = create_app(self.runtime.settings, factory=self.runtime.factory,
                         make_transport=self.runtime.make_transport)
        return TestClient(app, base_url="http://testserver")


def cli(runtime: Runtime, *args: str) -> str:
    """The ``complaints`` command on this runtime's database, as staff would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env["COMPLAINTS_DATA_DIR"] = str(runtime.settings.data_dir)
    env["COMPLAINTS_DATABASE_URL"] = runtime.settings.database_url
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-m", "workers", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def drop_in_scan_folder(runtime: Runtime, name: str, payload: bytes) -> int:
    """Put a file in the scan folder, record it and read it now; its scan id."""
    folder = Path(runtime.settings.scans_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(payload)
    poller = ScanFolderPoller(settings=runtime.settings, session_factory=runtime.factory,
                              enqueue=lambda ids: None, holder="test")
    (scan_id,) = poller.poll_once()
    read_scan_now(runtime, scan_id)
    return scan_id


@pytest.fixture
def letter_world(settings: Settings) -> Iterator[LetterWorld]:
    runtime = build_runtime(settings)
    photo = scanned_jpeg(EN_WITH_EMAIL)
    ingest_bytes(runtime, mail_with("Someone <someone@mail.example>", "Please see my letter.",
                                    photo, "letter.jpg", "image", "jpeg"), name="photo")
    with runtime.factory() as session:
        reference = session.scalars(select(Case.reference)).one()
        # The case belongs to quality: its handler sees it, logistics' handler does not.
        session.execute(update(Case).values(department="quality"))
        session.commit()
    add_staff(runtime.factory, "ivy", "intake")
    add_staff(runtime.factory, "quinn", "handler", "quality")
    add_staff(runtime.factory, "lou", "handler", "logistics")
    yield LetterWorld(runtime, reference, photo)
    runtime.engine.dispose()


def test_letter_pages_and_field_sources_are_stored(letter_world: LetterWorld) -> None:
    with letter_world.runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        attention = case.attention
        pages = list(session.scalars(select(ScanPage)))
        stored = session.get(FieldConfidence, case.id)
    assert [p.number for p in pages] == [1] and pages[0].width > 500 and pages[0].lines
    assert "Mary Jones" in pages[0].text
    assert stored is not None and stored.sources is not None
    # The phone is outlined on the line that says "call me on 139 1234 5678".
    (phone,) = stored.sources["customer_phone"]
    line = next(line for line in pages[0].lines if "139" in line["text"])
    top = min(box["y"] for box in line["boxes"])
    assert phone["page"] == 1 and abs(phone["y"] - top) < 5
    # The name is found in the signature, not inside mary.jones@… two lines up.
    (name,) = stored.sources["customer_name"]
    signature = next(line for line in pages[0].lines if line["text"].strip() == "Mary Jones")
    assert abs(name["y"] - signature["boxes"][0]["y"]) < 5
    assert {"customer_email", "order_numbers", "letter_date"} <= set(stored.sources)
    # Weak fields, if any, are named by their labels, never by internal keys.
    assert "customer_" not in attention and "what_happened" not in attention


def test_case_page_shows_each_page_beside_the_form_with_outlines(
    letter_world: LetterWorld,
) -> None:
    client = letter_world.client()
    sign_in(client, "ivy")
    page = client.get(f"/cases/{letter_world.reference}")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "img-src 'self' data:" in csp
    html = page.text
    assert f'src="/cases/{letter_world.reference}/scan/1.png"' in html
    assert "Text read by OCR" in html and "Mary Jones" in html
    outlines = re.findall(r'<rect class="outline f-([a-z_]+)', html)
    assert {"customer_phone", "customer_name", "customer_email"} <= set(outlines)
    assert 'viewBox="0 0 ' in html  # the outlines are drawn in the page's own pixels
    assert 'class="read-conf' in html  # each read field says how sure OCR was
    # No image of the customer's is inlined, and nothing on the page leaves the origin.
    assert "data:image" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)

    # A field OCR read with low confidence is marked in the form and on the scan.
    with letter_world.runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        stored = session.get(FieldConfidence, case.id)
        assert stored is not None
        scored = dict(stored.fields)
        scored["fields"] = {**scored["fields"],
                            "customer_phone": {"confidence": 0.41, "weak": True}}
        stored.fields = scored
        session.commit()
    html = client.get(f"/cases/{letter_world.reference}").text
    assert '<rect class="outline f-customer_phone weak"' in html
    assert re.search(r'<label class="weak">Phone <em>\(please check\)</em> '
                     r'<small class="read-conf low"[^>]*>.*?read 41%', html)


def test_page_image_is_a_png_drawn_by_us_under_a_strict_csp(
    letter_world: LetterWorld,
) -> None:
    client = letter_world.client()
    sign_in(client, "quinn")
    response = client.get(f"/cases/{letter_world.reference}/scan/1.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    body = response.content
    assert body.startswith(PNG_MAGIC) and body != letter_world.photo
    assert letter_world.photo[:3] == b"\xff\xd8\xff"  # the customer sent a JPEG
    image = Image.open(io.BytesIO(body))
    assert image.format == "PNG" and max(image.size) <= 1400
    cached = list((Path(letter_world.runtime.settings.data_dir) / "page-previews").glob("*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == body
    again = client.get(f"/cases/{letter_world.reference}/scan/1.png")
    assert again.content == body  # served from the disk cache


def test_only_staff_who_may_see_the_case_get_its_pages(letter_world: LetterWorld) -> None:
    reference = letter_world.reference
    anonymous = letter_world.client()
    response = anonymous.get(f"/cases/{reference}/scan/1.png", follow_redirects=False)
    assert response.status_code in (302, 303) and not response.content.startswith(PNG_MAGIC)
    other = letter_world.client()
    sign_in(other, "lou")  # a handler of another department
    assert other.get(f"/cases/{reference}/scan/1.png").status_code == 404
    assert other.get(f"/cases/{reference}").status_code == 404
    mine = letter_world.client()
    sign_in(mine, "quinn")
    assert mine.get(f"/cases/{reference}/scan/2.png").status_code == 404  # no such page
    assert mine.get(f"/cases/{reference}/scan/1.png").status_code == 200
    # A case that is not a letter has no pages, whatever number is asked for.
    with letter_world.runtime.factory() as session:
        scan = session.scalars(select(LetterScan).where(LetterScan.case_id.is_not(None))).one()
        session.execute(update(LetterScan).where(LetterScan.id == scan.id)
                        .values(case_id=None))
        session.commit()
    assert mine.get(f"/cases/{reference}/scan/1.png").status_code == 404


def test_unreadable_scans_are_in_the_one_quarantine_view(letter_world: LetterWorld) -> None:
    runtime = letter_world.runtime
    broken = drop_in_scan_folder(runtime, "broken.pdf", b"%PDF-1.4 not really")
    blank = drop_in_scan_folder(runtime, "blank.png", to_png(Image.new("L", (900, 1200), 255)))
    with runtime.factory() as session:
        rows = list_quarantined(session)
    scans = {row.scan_id: row for row in rows if row.kind == "scan"}
    assert set(scans) == {broken, blank}  # the letter read fine: it has a case, not listed
    assert "damaged" in scans[broken].quarantine_reason
    assert "No text could be read" in scans[blank].quarantine_reason
    assert scans[blank].source == "scan folder/blank.png" and scans[blank].ledger_id is None

    client = letter_world.client()
    sign_in(client, "ivy")
    listing = client.get("/quarantine").text
    assert f'href="/quarantine/scans/{blank}"' in listing
    assert "No text could be read" in listing and "scan folder/blank.png" in listing
    detail = client.get(f"/quarantine/scans/{blank}")
    assert detail.status_code == 200 and "blank.png" in detail.text
    file_link = re.search(r'href="(/quarantine/scans/\d+/files/\d+)"', detail.text)
    assert file_link is not None
    download = client.get(file_link.group(1))
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert download.content.startswith(PNG_MAGIC)  # the file as it came, as a download

    listed = json.loads(cli(runtime, "cases", "list", "--quarantined", "--json"))
    by_scan = {row["scan_id"]: row for row in listed if row["kind"] == "scan"}
    assert set(by_scan) == {broken, blank} and by_scan[blank]["ledger_id"] is None
    assert "No text could be read" in by_scan[blank]["quarantine_reason"]
    assert f"scan #{blank}" in cli(runtime, "cases", "list", "--quarantined")

    handler = letter_world.client()
    sign_in(handler, "quinn")
    assert handler.get(f"/quarantine/scans/{blank}").status_code == 403
    assert handler.get(file_link.group(1)).status_code == 403
