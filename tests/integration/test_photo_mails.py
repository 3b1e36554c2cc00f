"""Complaints with photos through the real mail worker and OCR worker (Redis, PostgreSQL,
SMTP): a mail with its own words is an e-mail case with its photos attached; only a
mail that says nothing but carries a photographed letter is a letter; a "see attached"
mail whose photo holds no writing still becomes a flagged, acknowledged e-mail case.
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
from pipeline.db.models import Attachment, Case, InboundMail, LetterScan, OutboundMail
from tests.support.scans import EN_WITH_EMAIL, chat_screenshot, product_photo, scanned_jpeg
from tests.support.services import worker_env
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.app import build_runtime

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BOWL = "See photo. The bowl arrived cracked. Order AB-20261201. Refund please."


def photo_mail(key: str, body: str, photos: list[tuple[str, bytes]]) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {key} <{key}@mail.example>"
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "Complaint"
    msg["Message-ID"] = f"<{key}@mail.example>"
    msg.set_content(body)
    for name, payload in photos:
        subtype = "png" if name.endswith(".png") else "jpeg"
        msg.add_attachment(payload, maintype="image", subtype=subtype, filename=name)
    return bytes(msg)


MAILS = {
    "bowl": photo_mail("bowl", BOWL, [("IMG_2041.jpg", product_photo(seed=1))]),
    "two": photo_mail(
        "two",
        "The lid is bent and the handle came off, photos attached. Order AB-20261202. "
        "I want a replacement.",
        [("IMG_1.jpg", product_photo(seed=2)), ("IMG_2.jpg", product_photo(seed=3))],
    ),
    "chat": photo_mail(
        "chat",
        "Your agent promised delivery a week ago, see the chat. Order AB-20261203. "
        "I want my money back.",
        [("Screenshot.png", chat_screenshot())],
    ),
    "letter": photo_mail("letter", "", [("letter.jpg", scanned_jpeg(EN_WITH_EMAIL))]),
    "nowriting": photo_mail("nowriting", "See attached.", [("bowl.jpg", product_photo(seed=4))]),
}


def test_photo_mails_become_the_right_cases_and_are_all_acknowledged(
    prod_settings: Settings, sink: SmtpSink
) -> None:
    runtime = build_runtime(prod_settings)
    env = worker_env(prod_settings)
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
        inbox = Path(prod_settings.inbox_dir)
        inbox.mkdir(parents=True, exist_ok=True)
        for key, raw in MAILS.items():
            (inbox / f".{key}.tmp").write_bytes(raw)
            os.replace(inbox / f".{key}.tmp", inbox / f"{key}.eml")

        def all_acknowledged() -> bool:
            with runtime.factory() as session:
                sent = session.scalars(
                    select(OutboundMail).where(OutboundMail.status == "sent")
                ).all()
            return len(sent) == len(MAILS)

        wait_until(all_acknowledged, 240, "an acknowledgment for every photo mail", 0.5)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    with runtime.factory() as session:
        by_mail = {
            (inbound.message_id or "").strip("<>").split("@")[0]: inbound
            for inbound in session.scalars(select(InboundMail))
        }
        scans = {scan.inbound_mail_id: scan for scan in session.scalars(select(LetterScan))}
        found: dict[str, Case] = {}
        files: dict[str, list[str]] = {}
        for key, inbound in by_mail.items():
            # A letter's case hangs on its scan, a mail's on the mail.
            case_id = inbound.case_id or scans[inbound.id].case_id
            case = session.get(Case, case_id)
            assert case is not None, key
            found[key] = case
            files[key] = list(
                session.scalars(
                    select(Attachment.display_name).where(Attachment.case_id == case.id)
                )
            )
    assert set(found) == set(MAILS)
    bowl = found["bowl"]
    assert bowl.channel == "email" and bowl.attention == ""
    assert bowl.order_numbers == ["AB-20261201"] and "refund" in bowl.demands
    assert files["bowl"] == ["IMG_2041.jpg"]
    assert found["two"].channel == "email" and sorted(files["two"]) == ["IMG_1.jpg", "IMG_2.jpg"]
    assert found["chat"].channel == "email" and files["chat"] == ["Screenshot.png"]
    assert found["letter"].channel == "letter"
    assert found["letter"].customer_email == EN_WITH_EMAIL.email
    # Only the mails that said nothing went to OCR.
    assert set(scans) == {by_mail["letter"].id, by_mail["nowriting"].id}
    unreadable = found["nowriting"]
    assert unreadable.channel == "email" and files["nowriting"] == ["bowl.jpg"]
    assert "no writing" in unreadable.attention
    assert scans[by_mail["nowriting"].id].status == "processed"
    recipients = {to for _, rcpts, _ in sink.messages for to in rcpts}
    assert {f"{key}@mail.example" for key in MAILS if key != "letter"} <= recipients
    for proc in procs:
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    runtime.engine.dispose()
