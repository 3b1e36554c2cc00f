"""Scans as an attacker sends them: image bombs, OCR floods and a forged scanner address."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import Case, LetterScan
from pipeline.intake.process import Outcome, claim_inbound, process_inbound
from pipeline.mailbox.ledger import record_mail
from pipeline.scans.jobs import claim_scan
from pipeline.scans.unfinished import unfinished_scans
from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support.scans import render_page, to_image_pdf
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    rt.engine.dispose()


def mail_with(sender: str, payload: bytes, filename: str, subtype: str, *,
              headers: dict[str, str] | None = None, body: str = "See attached.") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "My letter"
    msg["Message-ID"] = f"<{filename}.{len(payload)}.{random.random()}@attacker.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    maintype = "application" if subtype == "pdf" else "image"
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def bomb_tiff() -> bytes:
    """A page-sized first frame, then a 9000×9000 second frame (a few KB compressed)."""
    noise = random.Random(7)
    first = Image.new("1", (1240, 1754), 1)
    first.putdata([noise.random() < 0.5 for _ in range(1240 * 1754)])
    bomb = Image.new("1", (9000, 9000), 1)
    out = io.BytesIO()
    first.save(out, format="TIFF", save_all=True, append_images=[bomb], compression="group4")
    return out.getvalue()


def test_a_tiff_whose_second_frame_is_a_bomb_is_quarantined_not_retried(
        runtime: Runtime) -> None:
    payload = bomb_tiff()
    assert len(payload) > runtime.settings.letter_min_image_bytes  # looks like a photographed page
    ingest_bytes(runtime, mail_with("Mallory <mallory@attacker.example>", payload,
                                    "letter.tif", "tiff"), name="bomb")
    with runtime.factory() as session:
        scan = session.scalars(select(LetterScan)).one()
        case = session.get(Case, scan.case_id) if scan.case_id else None
    # Read once, never retried; a customer's mail is not lost for its bad picture: it
    # becomes an e-mail case flagged with the reason (issue 14), the picture unread.
    assert scan.attempts == 1 and scan.status != "received"
    reason = scan.quarantine_reason or scan.last_error
    assert "page 2" in reason and "decompression bomb" in reason
    assert case is not None and case.channel == "email" and "decompression bomb" in case.attention
    assert Image.MAX_IMAGE_PIXELS == 60_000_000  # Pillow's own limit is ours


# OCR budgets and the scanner's proof ---------------------------------------------------

SCANNER = "scanner@shop.example"


def _take_in(runtime: Runtime, raw: bytes) -> Outcome:
    """Intake as the workers do it, without reading the scan yet (OCR is not the point)."""
    with runtime.factory() as session, session.begin():
        recorded = record_mail(session, raw=raw, source="attack")
    held = claim_inbound(runtime.factory, inbound_id=recorded.inbound_id,
                         settings=runtime.settings)
    assert held is not None
    return process_inbound(runtime.factory, held=held, settings=runtime.settings)


def _letter_pdf(n: int) -> bytes:
    return to_image_pdf([render_page(f"Letter number {n}\nPlease refund my kettle.")])


def _scans(runtime: Runtime) -> list[LetterScan]:
    with runtime.factory() as session:
        return list(session.scalars(select(LetterScan).order_by(LetterScan.id)))


def test_a_flood_of_letters_from_one_sender_waits_for_staff_and_staff_release_it(
        settings: Settings, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    runtime = build_runtime(settings.model_copy(update={
        "ocr_pages_per_sender_day": 2, "data_dir": data_dir}))
    try:
        for n in range(3):
            _take_in(runtime, mail_with("Mallory <mallory@attacker.example>", _letter_pdf(n),
                                        f"letter{n}.pdf", "pdf"))
        _take_in(runtime, mail_with("Li Na <lina@customer.example>", _letter_pdf(9),
                                    "mine.pdf", "pdf"))  # another customer is not held up
        scans = _scans(runtime)
        assert [s.status for s in scans] == ["received", "received", "held", "received"]
        assert "daily budget per sender is 2" in scans[2].quarantine_reason
        assert "mallory@attacker.example" in scans[2].quarantine_reason
        assert not claim_scan(runtime.factory, scan_id=scans[2].id, settings=runtime.settings)
        with runtime.factory() as session, session.begin():  # the sweep leaves it alone too
            assert scans[2].id not in unfinished_scans(session, settings=runtime.settings,
                                                       now=utcnow() + timedelta(hours=1))
        if runtime.settings.database_url:
            return  # the CLI below runs on the embedded (SQLite) data directory
        env = clean_env()
        listed = complaints("letters", "scans", "--json", cwd=tmp_path, env=env)
        held = [row for row in json.loads(listed.stdout) if row["status"] == "held"]
        assert [row["id"] for row in held] == [scans[2].id] and held[0]["reason"]
        released = complaints("letters", "release-scan", str(scans[2].id), "--by", "ivy",
                              "--json", cwd=tmp_path, env=env)
        assert released.returncode == 0, released.stderr
        assert json.loads(released.stdout)["released"] is True
        again = complaints("letters", "release-scan", str(scans[2].id), "--by", "ivy",
                           cwd=tmp_path, env=env)
        assert again.returncode == 1 and "not held" in again.stdout
        with runtime.factory() as session:
            scan = session.get(LetterScan, scans[2].id)
            assert scan is not None and (scan.status, scan.released_by) == ("received", "ivy")
        assert claim_scan(runtime.factory, scan_id=scans[2].id, settings=runtime.settings)
    finally:
        runtime.engine.dispose()


def test_the_global_ocr_backlog_is_capped(settings: Settings) -> None:
    runtime = build_runtime(settings.model_copy(update={"ocr_backlog_max_pages": 2}))
    try:
        for n in range(3):
            _take_in(runtime, mail_with(f"Customer {n} <c{n}@customer.example>", _letter_pdf(n),
                                        f"l{n}.pdf", "pdf"))
        scans = _scans(runtime)
        assert [s.status for s in scans] == ["received", "received", "held"]
        assert "at most 2 may wait" in scans[2].quarantine_reason
    finally:
        runtime.engine.dispose()


def test_a_mail_claiming_the_scanners_address_without_proof_is_a_customers_mail(
        settings: Settings) -> None:
    runtime = build_runtime(settings.model_copy(update={
        "scanner_addresses": SCANNER, "scanner_token": SecretStr("mailroom-secret"),
        "scanner_trusted_relays": "relay.shop.example"}))
    long_body = "Please read the attached and refund my kettle at once. " * 6
    try:
        forged = mail_with(f"Scanner <{SCANNER}>", _letter_pdf(1), "scan.pdf", "pdf",
                           body=long_body, headers={
                               "X-Complaints-Scanner-Token": "guessed",
                               "Received": "from relay.shop.example by mx.attacker.example"})
        # The forged Received line is below the one our own server writes on arrival.
        forged = b"Received: from [203.0.113.9] by mx.shop.example\n" + forged
        outcome = _take_in(runtime, forged)
        assert outcome.classification == "complaint" and not _scans(runtime)

        proven = mail_with(f"Scanner <{SCANNER}>", _letter_pdf(2), "scan.pdf", "pdf",
                           body=long_body,
                           headers={"X-Complaints-Scanner-Token": "mailroom-secret"})
        assert _take_in(runtime, proven).classification == "letter"
        relayed = b"Received: from relay.shop.example (relay.shop.example [10.0.0.7]) by " \
                  b"mx.shop.example\n" + mail_with(f"Scanner <{SCANNER}>", _letter_pdf(3),
                                                   "scan.pdf", "pdf", body=long_body)
        assert _take_in(runtime, relayed).classification == "letter"
        # Both are the scanner's letters: no customer address taken from the scanner's From.
        assert [s.from_address for s in _scans(runtime)] == ["", ""]
    finally:
        runtime.engine.dispose()
