"""Scanned letters through real processes: poller, mail worker and OCR worker on Redis
and PostgreSQL, as in production. A scan dropped into the scan folder and a photo of a
letter mailed in each become a letter case with its acknowledgment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.models import Case, LetterScan, OutboundMail, PrintLetter
from tests.support.scans import EN_WITH_EMAIL, ZH_NO_EMAIL, scanned_jpeg
from tests.support.services import worker_env
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.app import build_runtime

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def photo_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Someone <someone@mail.example>"
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "My letter"
    msg["Message-ID"] = "<photo-letter@mail.example>"
    msg.set_content("Photo attached.")
    msg.add_attachment(
        scanned_jpeg(EN_WITH_EMAIL), maintype="image", subtype="jpeg", filename="letter.jpg"
    )
    return bytes(msg)


def test_scan_folder_and_mailed_photo_become_acknowledged_letter_cases(
    prod_settings: Settings, sink: SmtpSink
) -> None:
    runtime = build_runtime(prod_settings)
    env = worker_env(prod_settings, COMPLAINTS_SCAN_POLL_SECONDS="0.2")
    commands = (["poll"], ["worker", "--queues", "intake,outbox"], ["ocr-worker"])
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workers", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for args in commands
    ]
    try:
        scans = Path(prod_settings.scans_dir)
        scans.mkdir(parents=True, exist_ok=True)
        (scans / ".zh.jpg.tmp").write_bytes(scanned_jpeg(ZH_NO_EMAIL))
        os.replace(scans / ".zh.jpg.tmp", scans / "zh.jpg")
        inbox = Path(prod_settings.inbox_dir)
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / ".photo.eml.tmp").write_bytes(photo_mail())
        os.replace(inbox / ".photo.eml.tmp", inbox / "photo.eml")

        def both_done() -> bool:
            with runtime.factory() as session:
                cases = list(session.scalars(select(Case).where(Case.channel == "letter")))
                printed = list(session.scalars(select(PrintLetter)))
            return len(cases) == 2 and len(printed) == 1 and sink.wait_for(1, 0.01)

        wait_until(both_done, 180, "two letter cases, one print letter, one e-mail", 0.5)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    with runtime.factory() as session:
        cases = {c.language: c for c in session.scalars(select(Case))}
        sent = session.scalars(select(OutboundMail)).one()
        scans_done = list(session.scalars(select(LetterScan.status)))
    assert cases["zh"].customer_phone == ZH_NO_EMAIL.phone
    assert cases["en"].customer_email == EN_WITH_EMAIL.email == sent.to_address
    assert sent.status == "sent" and len(sink.messages) == 1
    assert scans_done == ["processed", "processed"]
    assert (Path(prod_settings.scans_dir) / "done" / "zh.jpg").exists()
    for proc in procs:
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    runtime.engine.dispose()
