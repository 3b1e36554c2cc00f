"""Scanned letters end to end through the services, on SQLite and on PostgreSQL.

A photographed letter mailed by a customer and a scanner's image-only PDF each become
a letter case with fields and confidences; the acknowledgment goes by e-mail when an
address is known and into the print queue otherwise. Print batches are crash-safe.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr
from pypdf import PdfReader
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.models import (
    Attachment,
    Case,
    FieldConfidence,
    InboundMail,
    LetterScan,
    OutboundMail,
    PrintBatch,
    PrintLetter,
)
from pipeline.outbound.printing import _open_batch, print_batch, waiting_letters
from tests.support.scans import (
    EN_WITH_EMAIL,
    ZH_NO_EMAIL,
    degrade,
    render_page,
    scanned_jpeg,
    to_image_pdf,
)
from workers.app import build_runtime
from workers.inline import ingest_bytes, read_scan_now
from workers.runtime import Runtime
from workers.scan_poller import ScanFolderPoller

pytestmark = pytest.mark.slow

SCANNER = "scanner@shop.example"
SCANNER_TOKEN = "mailroom-secret"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings.model_copy(update={
        "scanner_addresses": SCANNER, "scanner_token": SecretStr(SCANNER_TOKEN)}))
    yield rt
    rt.engine.dispose()


def mail_with(
    sender: str, body: str, payload: bytes, filename: str, maintype: str, subtype: str
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "Scan"
    msg["Message-ID"] = f"<{filename}.{len(payload)}@mail.example>"
    msg.set_content(body)
    msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def test_scanner_pdf_without_email_goes_to_the_print_queue(
    runtime: Runtime, tmp_path: Path
) -> None:
    pdf = to_image_pdf([degrade(render_page(ZH_NO_EMAIL.text))])
    raw = mail_with(f"Scanner <{SCANNER}>", "", pdf, "scan0001.pdf", "application", "pdf")
    raw = f"X-Complaints-Scanner-Token: {SCANNER_TOKEN}\n".encode() + raw  # the scanner's proof
    result = ingest_bytes(runtime, raw, name="scan")
    assert result.outcome is not None and result.outcome.classification == "letter"
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        scan = session.scalars(select(LetterScan)).one()
        confidence = session.get(FieldConfidence, case.id)
        attachments = list(session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
        inbound = session.scalars(select(InboundMail)).one()
        assert not list(session.scalars(select(OutboundMail)))  # the scanner is never answered
    assert inbound.status == "processed" and scan.status == "processed"
    assert case.channel == "letter" and case.language == "zh"
    assert case.customer_name == ZH_NO_EMAIL.name
    assert case.customer_phone == ZH_NO_EMAIL.phone
    assert case.customer_address == ZH_NO_EMAIL.address
    assert case.customer_email == ""
    assert case.order_numbers == list(ZH_NO_EMAIL.orders)
    assert confidence is not None and confidence.fields["fields"]["customer_phone"]["weak"] is False
    assert confidence.fields["fields"]["customer_email"]["weak"] is True
    assert [a.display_name for a in attachments] == ["scan0001.pdf"]
    with runtime.factory() as session:
        queued = waiting_letters(session)
    assert [q.case_reference for q in queued] == [case.reference]
    assert ZH_NO_EMAIL.name in queued[0].recipient

    out = tmp_path / "batch.pdf"
    first = print_batch(runtime.factory, out_path=out)
    assert first.letters == 1
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert case.reference in text and "我们已收到您的来信" in text
    again = print_batch(runtime.factory, out_path=tmp_path / "again.pdf")
    assert again.batch_id is None and not (tmp_path / "again.pdf").exists()
    with runtime.factory() as session:
        assert waiting_letters(session) == []
        assert session.scalars(select(PrintLetter)).one().status == "printed"


def test_customer_photo_with_an_email_in_the_letter_is_answered_by_email(
    runtime: Runtime,
) -> None:
    raw = mail_with(
        "Someone <someone@mail.example>",
        "Please see my letter.",
        scanned_jpeg(EN_WITH_EMAIL),
        "letter.jpg",
        "image",
        "jpeg",
    )
    ingest_bytes(runtime, raw, name="photo")
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        outbound = session.scalars(select(OutboundMail)).one()
        assert not list(session.scalars(select(PrintLetter)))
    assert case.channel == "letter" and case.language == "en"
    assert case.customer_email == EN_WITH_EMAIL.email == outbound.to_address
    assert case.customer_phone == EN_WITH_EMAIL.phone
    assert outbound.status == "sent" and outbound.kind == "acknowledgment"
    assert b"phone" in outbound.raw.lower() or b"Phone" in outbound.raw


def test_unreadable_scan_in_the_folder_is_quarantined_and_kept(runtime: Runtime) -> None:
    folder = Path(runtime.settings.scans_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    poller = ScanFolderPoller(
        settings=runtime.settings,
        session_factory=runtime.factory,
        enqueue=lambda ids: None,
        holder="test",
    )
    (scan_id,) = poller.poll_once()
    assert not (folder / "broken.pdf").exists() and (folder / "done" / "broken.pdf").exists()
    assert poller.poll_once() == []  # nothing left; recorded once
    outcome = read_scan_now(runtime, scan_id)
    assert outcome is not None and outcome.status == "quarantined"
    assert read_scan_now(runtime, scan_id) is None  # done: a second nudge is a no-op
    with runtime.factory() as session:
        scan = session.get(LetterScan, scan_id)
        assert scan is not None and "damaged" in scan.quarantine_reason
        assert not list(session.scalars(select(Case)))


def test_print_batch_finishes_a_batch_left_open_by_a_crash(
    runtime: Runtime, tmp_path: Path
) -> None:
    from tests.support.scans import EN_NO_EMAIL  # no e-mail: print queue

    folder = Path(runtime.settings.scans_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "en.pdf").write_bytes(to_image_pdf([render_page(EN_NO_EMAIL.text)]))
    poller = ScanFolderPoller(
        settings=runtime.settings,
        session_factory=runtime.factory,
        enqueue=lambda ids: None,
        holder="test",
    )
    (scan_id,) = poller.poll_once()
    read_scan_now(runtime, scan_id)
    # A crash after the batch recorded its letters but before the PDF was written:
    crashed = _open_batch(runtime.factory, tmp_path / "lost.pdf")
    assert crashed is not None
    result = print_batch(runtime.factory, out_path=tmp_path / "retry.pdf")
    assert result.batch_id == crashed and result.letters == 1
    with runtime.factory() as session:
        batch = session.get(PrintBatch, crashed)
        assert batch is not None and batch.status == "done"
        letter = session.scalars(select(PrintLetter)).one()
        assert letter.status == "printed" and letter.batch_id == crashed
    assert "Peter Wong" in PdfReader(tmp_path / "retry.pdf").pages[0].extract_text()


def test_sweep_resends_unread_scans_and_gives_up_after_max_attempts(runtime: Runtime) -> None:
    from datetime import timedelta

    from pipeline.db.base import utcnow
    from pipeline.mail.message import MailAttachment
    from pipeline.scans.record import record_scan
    from pipeline.scans.unfinished import unfinished_scans

    settings = runtime.settings
    page = MailAttachment(filename="a.jpg", content_type="image/jpeg", payload=b"not a jpeg")
    with runtime.factory() as session, session.begin():
        scan_id = record_scan(session, settings=settings, pages=[page], source="test").scan_id
        again = record_scan(session, settings=settings, pages=[page], source="test")
    assert again.scan_id == scan_id and not again.is_new  # same bytes: recorded once
    later = utcnow() + timedelta(seconds=30)
    with runtime.factory() as session, session.begin():
        assert unfinished_scans(session, settings=settings, now=later) == [scan_id]
        scan = session.get(LetterScan, scan_id)
        assert scan is not None
        scan.attempts = settings.max_attempts
        scan.last_error = "RuntimeError('boom')"
    with runtime.factory() as session, session.begin():
        assert unfinished_scans(session, settings=settings, now=later) == []
    with runtime.factory() as session:
        scan = session.get(LetterScan, scan_id)
        assert scan is not None and scan.status == "failed" and "boom" in scan.quarantine_reason
