"""Queue failure modes from reliability-cases.md ("Queue, crashes, duplicates"), run with
real dramatiq workers on the in-process broker and on both databases."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from pipeline.cases.queries import list_quarantined
from pipeline.db.models import Case, InboundMail, OutboundMail
from pipeline.mailbox.ledger import record_mail
from tests.support import mails
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.runtime import Runtime
from workers.service import start_worker
from workers.sweeper import sweep_once


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    fast = settings.model_copy(
        update={"retry_min_backoff_ms": 10, "retry_max_backoff_ms": 50, "max_attempts": 3}
    )
    rt = build_runtime(fast)
    worker = start_worker(rt)
    yield rt
    worker.stop()
    rt.broker.close()
    rt.engine.dispose()


def record(runtime: Runtime, raw: bytes) -> int:
    with runtime.factory() as session, session.begin():
        return record_mail(session, raw=raw, source="test").inbound_id


def scalar(runtime: Runtime, query: object) -> int:
    with runtime.factory() as session:
        return session.scalar(query) or 0  # type: ignore[call-overload]


def test_same_message_twice_is_one_case(runtime: Runtime) -> None:
    inbound_id = record(runtime, mails.complaint())

    runtime.enqueue_inbound(inbound_id)
    runtime.enqueue_inbound(inbound_id)

    wait_until(
        lambda: (
            scalar(
                runtime, select(func.count(OutboundMail.id)).where(OutboundMail.status == "sent")
            )
            == 1
        ),
        30,
        "the acknowledgment to be sent",
    )
    runtime.broker.join("intake")  # type: ignore[attr-defined]
    runtime.broker.join("outbox")  # type: ignore[attr-defined]
    assert scalar(runtime, select(func.count(Case.id))) == 1
    assert scalar(runtime, select(func.count(OutboundMail.id))) == 1


def test_killed_between_commit_and_enqueue_is_found_by_sweep(runtime: Runtime) -> None:
    """GIVEN a mail committed to the ledger whose nudge never reached the queue."""
    inbound_id = record(runtime, mails.complaint())
    with runtime.factory() as session, session.begin():
        mail = session.get(InboundMail, inbound_id)
        assert mail is not None
        mail.received_at = mail.received_at.replace(year=mail.received_at.year - 1)

    nudged, _ = sweep_once(runtime)

    assert nudged == 1
    wait_until(
        lambda: scalar(runtime, select(func.count(Case.id))) == 1, 30, "the swept mail's case"
    )


def test_job_that_always_fails_ends_flagged_not_retried_forever(
    runtime: Runtime, tmp_path: Path
) -> None:
    """A complaint whose attachment cannot be stored (the disk is unusable) fails every time."""
    store = runtime.settings.storage_dir
    shutil.rmtree(store, ignore_errors=True)
    store.write_text("a file where the attachment store should be")
    raw = mails_with_attachment()
    inbound_id = record(runtime, raw)

    runtime.enqueue_inbound(inbound_id)

    wait_until(
        lambda: (
            scalar(
                runtime, select(func.count(InboundMail.id)).where(InboundMail.status == "failed")
            )
            == 1
        ),
        60,
        "the mail to be marked failed",
    )
    with runtime.factory() as session:
        rows = list_quarantined(session)
        inbound = session.get(InboundMail, inbound_id)
    assert [r.ledger_id for r in rows] == [inbound_id]
    assert "failed" in rows[0].quarantine_reason.lower() or "stopped" in rows[0].quarantine_reason
    assert inbound is not None and inbound.attempts == runtime.settings.max_attempts + 1
    assert inbound.raw == raw
    assert scalar(runtime, select(func.count(Case.id))) == 0


def mails_with_attachment() -> bytes:
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(mails.complaint(), policy=default)
    msg.add_attachment(  # type: ignore[attr-defined]
        b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf"
    )
    return bytes(msg)


def test_crash_after_smtp_accepted_resends_with_same_message_id(runtime: Runtime) -> None:
    """Policy: a send cut off between SMTP's acceptance and our record is sent again,
    with the same Message-ID, once its claim expires."""
    inbound_id = record(runtime, mails.complaint())
    runtime.enqueue_inbound(inbound_id)
    wait_until(
        lambda: (
            scalar(
                runtime, select(func.count(OutboundMail.id)).where(OutboundMail.status == "sent")
            )
            == 1
        ),
        30,
        "the first send",
    )
    outbox = Path(runtime.settings.outbox_dir)
    first = sorted(outbox.glob("*.eml"))
    with runtime.factory() as session, session.begin():  # as if we died before recording it
        mail = session.scalars(select(OutboundMail)).one()
        mail.status = "sending"
        mail.claimed_at = mail.created_at.replace(year=mail.created_at.year - 1)
        message_id = mail.message_id

    _, resent = sweep_once(runtime)

    assert resent == 1
    wait_until(
        lambda: (
            scalar(
                runtime, select(func.count(OutboundMail.id)).where(OutboundMail.status == "sent")
            )
            == 1
        ),
        30,
        "the resend",
    )
    files = sorted(outbox.glob("*.eml"))
    assert files == first  # the outbox folder keeps one file per Message-ID
    assert BytesHeaderParser().parsebytes(files[0].read_bytes())["Message-ID"] == message_id
    with runtime.factory() as session:
        assert session.scalars(select(OutboundMail)).one().attempts == 2


def test_one_bad_mail_in_a_batch_does_not_hold_up_the_others(
    runtime: Runtime
) -> None:
    """GIVEN a batch where one mail cannot be stored THEN the others still become cases."""
    store = runtime.settings.storage_dir
    shutil.rmtree(store, ignore_errors=True)
    store.write_text("a file where the attachment store should be")
    good = [record(runtime, mails.complaint(subject=f"Plain {n}")) for n in range(3)]
    bad = record(runtime, mails_with_attachment())

    runtime.enqueue_inbound_batch([*good, bad])

    wait_until(lambda: scalar(runtime, select(func.count(Case.id))) == 3, 60, "three cases")
    wait_until(
        lambda: (
            scalar(
                runtime, select(func.count(InboundMail.id)).where(InboundMail.status == "failed")
            )
            == 1
        ),
        60,
        "the bad mail to be marked failed",
    )
    with runtime.factory() as session:
        failed = session.get(InboundMail, bad)
    assert failed is not None and failed.status == "failed"
