"""Scans as an attacker sends them: image bombs, OCR floods and a forged scanner address."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from PIL import Image
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.models import LetterScan
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
    assert scan.status == "quarantined" and scan.attempts == 1
    assert "page 2" in scan.quarantine_reason and "decompression bomb" in scan.quarantine_reason
    assert Image.MAX_IMAGE_PIXELS == 60_000_000  # Pillow's own limit is ours
