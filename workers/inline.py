"""Doing the queue's work in the calling thread: ``complaints ingest`` and tests use it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.intake.process import Outcome, claim_inbound, process_inbound
from pipeline.mailbox.ledger import record_mail
from pipeline.outbound.send import send_outbound
from pipeline.outbound.transport import PermanentSendError, TransientSendError
from pipeline.scans.jobs import ScanOutcome, claim_scan, process_scan
from workers.runtime import Runtime


@dataclass(frozen=True)
class Ingested:
    name: str
    inbound_id: int
    is_new: bool
    outcome: Outcome | None


def ingest_bytes(
    runtime: Runtime, raw: bytes, *, name: str, mailbox: str = "default"
) -> Ingested:
    """Record a mail, process it and send its acknowledgment, all before returning.

    ``mailbox`` is the key of the mailbox it counts as sent to (its case is answered
    from that mailbox's address).
    """
    with runtime.factory() as session, session.begin():
        recorded = record_mail(session, raw=raw, source=f"ingest:{name}", mailbox_key=mailbox)
    outcome = None
    settings = runtime.settings
    held = claim_inbound(runtime.factory, inbound_id=recorded.inbound_id, settings=settings)
    if held is not None:
        outcome = process_inbound(runtime.factory, held=held, settings=settings)
        _send(runtime, outcome.outbound_ids)
        for scan_id in outcome.scan_ids:
            read_scan_now(runtime, scan_id)
    return Ingested(
        name=name, inbound_id=recorded.inbound_id, is_new=recorded.is_new, outcome=outcome
    )


def ingest_file(runtime: Runtime, path: Path, *, mailbox: str = "default") -> Ingested:
    return ingest_bytes(runtime, path.read_bytes(), name=path.name, mailbox=mailbox)


def _send(runtime: Runtime, outbound_ids: list[int]) -> None:
    for outbound_id in outbound_ids:
        # A failure is recorded on the outbox row; a running service's sweep retries it.
        with contextlib.suppress(TransientSendError, PermanentSendError):
            send_outbound(
                runtime.factory,
                outbound_id=outbound_id,
                transport=runtime.transport(),
                settings=runtime.settings,
            )


def read_scan_now(runtime: Runtime, scan_id: int) -> ScanOutcome | None:
    """OCR a recorded scan in this thread and send its e-mail acknowledgment, if any."""
    held = claim_scan(runtime.factory, scan_id=scan_id, settings=runtime.settings)
    if held is None:
        return None
    outcome = process_scan(runtime.factory, held=held, settings=runtime.settings)
    _send(runtime, outcome.outbound_ids)
    return outcome
