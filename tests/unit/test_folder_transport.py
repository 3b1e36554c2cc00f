"""The embedded mode's outbox folder: one .eml per Message-ID, written atomically."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from letters.compose import build_message
from pipeline.outbound.folder import FolderTransport
from pipeline.outbound.transport import PermanentSendError, TransientSendError

TO = ["jane@customer.example"]


def mail(message_id: str, text: str = "Thank you.\n") -> bytes:
    return build_message(
        from_name="Customer Service",
        from_address="complaints@shop.example",
        to_name="Jane",
        to_address="jane@customer.example",
        subject="[CP-2026-000001] We have received your complaint",
        text=text,
        html=None,
        message_id=message_id,
        date=datetime(2026, 3, 5, 9, 30, 15, tzinfo=UTC),
    )


def test_mail_is_written_as_timestamp_and_message_id_digest(tmp_path: Path) -> None:
    outbox = FolderTransport(tmp_path / "outbox")
    raw = mail("<abc@shop.example>")

    outbox.send(raw, sender="complaints@shop.example", recipients=TO)

    digest = hashlib.sha1(b"<abc@shop.example>").hexdigest()[:12]
    [written] = list((tmp_path / "outbox").iterdir())
    assert written.name == f"20260305T093015Z-{digest}.eml"
    assert written.read_bytes() == raw


def test_sending_the_same_message_id_twice_leaves_one_file(tmp_path: Path) -> None:
    """GIVEN a resend after a crash (same Message-ID) THEN one file, with the newest content."""
    outbox = FolderTransport(tmp_path)
    outbox.send(mail("<abc@shop.example>", "first\n"), sender="a@shop.example", recipients=TO)

    second = mail("<abc@shop.example>", "second\n")
    outbox.send(second, sender="a@shop.example", recipients=TO)

    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert files[0].read_bytes() == second


def test_different_message_ids_give_different_files(tmp_path: Path) -> None:
    outbox = FolderTransport(tmp_path)

    outbox.send(mail("<a@shop.example>"), sender="a@shop.example", recipients=TO)
    outbox.send(mail("<b@shop.example>"), sender="a@shop.example", recipients=TO)

    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_mails_without_message_id_do_not_overwrite_each_other(tmp_path: Path) -> None:
    outbox = FolderTransport(tmp_path)

    outbox.send(b"Subject: one\r\n\r\nbody one\r\n", sender="a@shop.example", recipients=TO)
    outbox.send(b"Subject: two\r\n\r\nbody two\r\n", sender="a@shop.example", recipients=TO)

    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert len(names) == 2
    assert all(re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{12}\.eml", n) for n in names)


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    outbox = FolderTransport(tmp_path)

    for n in range(3):
        outbox.send(mail("<same@shop.example>", f"v{n}\n"), sender="a@x.example", recipients=TO)

    assert [p.suffix for p in tmp_path.iterdir()] == [".eml"]


def test_directory_is_created(tmp_path: Path) -> None:
    FolderTransport(tmp_path / "deep" / "outbox")

    assert (tmp_path / "deep" / "outbox").is_dir()


def test_unwritable_folder_is_a_transient_error(tmp_path: Path) -> None:
    outbox = FolderTransport(tmp_path / "outbox")
    (tmp_path / "outbox").rmdir()
    (tmp_path / "outbox").write_text("a file where the folder should be")

    with pytest.raises(TransientSendError):
        outbox.send(mail("<a@shop.example>"), sender="a@shop.example", recipients=TO)


def test_no_recipients_is_a_permanent_error(tmp_path: Path) -> None:
    with pytest.raises(PermanentSendError):
        FolderTransport(tmp_path).send(mail("<a@x.example>"), sender="a@x.example", recipients=[])
