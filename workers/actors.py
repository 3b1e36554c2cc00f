"""Thin dramatiq actors: they take ids, call one pipeline service, and declare retries.

Actors are declared against an explicit broker by :func:`declare_actors` (dramatiq's
``@actor`` would otherwise bind whatever global broker exists at import time).
Every actor is idempotent: the service re-checks the database state in the same
transaction that changes it, so a redelivered or swept message is a no-op.

A poller declares the actors only to enqueue: the pipeline they run is imported in
their bodies, and by a worker before it says it is ready (:func:`import_pipeline`), so
a poller starts without it (a third of a second of CPU less per start).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq import Actor, Broker

from config.settings import Settings
from pipeline.outbound.transport import PermanentSendError
from workers.queues import INTAKE_QUEUE, OCR_QUEUE, OUTBOX_QUEUE, TIMED_QUEUE
from workers.runtime import Runtime, current

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Actors:
    process_inbound: Actor[[int], None]
    process_batch: Actor[[list[int]], None]
    send_outbound: Actor[[int], None]
    dead_letter: Actor[[dict[str, Any], dict[str, Any]], None]
    timed_work: Actor[[], None]
    ocr_letter: Actor[[int], None] | None = None


def import_pipeline() -> None:
    """Import what the actors run, so that no worker's first message pays for it: the
    letter layout and the print queue too (a letter's case is acknowledged by post)."""
    for module in _PIPELINE:
        importlib.import_module(module)


_PIPELINE = ("pipeline.intake.process", "pipeline.outbound.send", "pipeline.recovery",
             "pipeline.scans.jobs", "letters.pdf.letter", "pipeline.outbound.printing")


def send_now(runtime: Runtime, sender: Actor[[int], None], outbound_ids: list[int]) -> None:
    """Send acknowledgments right after their cases are committed, in the same thread.

    This saves a trip through the queue on the hot path. A temporary failure hands the
    mail to the outbox actor, whose retries back off; a permanent one is already
    recorded on the outbox row and the case.
    """
    if not outbound_ids:
        return
    from pipeline.outbound.send import send_many

    report = send_many(
        runtime.factory,
        outbound_ids=outbound_ids,
        transport=runtime.transport(),
        settings=runtime.settings,
    )
    for outbound_id in report.retry:
        delay = runtime.settings.retry_min_backoff_ms
        runtime.enqueue_delayed(sender, outbound_id, delay_ms=delay)
    if report.failed:
        log.warning("acknowledgments refused", extra={"outbound_ids": report.failed})


def declare_actors(broker: Broker, settings: Settings) -> Actors:
    """Declare the actors on ``broker`` and return them for enqueueing.

    Retries are bounded (``max_attempts``) and end in the ``dead_letter`` actor, which
    marks the row failed for staff; dramatiq's own default would retry for 30 days.
    """
    backoff: dict[str, Any] = {
        "max_retries": settings.max_attempts,
        "min_backoff": settings.retry_min_backoff_ms,
        "max_backoff": settings.retry_max_backoff_ms,
        "on_retry_exhausted": "dead_letter",
    }

    def dead_letter(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
        """Mark work whose retries ran out as failed, so staff see it (not silently dropped)."""
        from pipeline.recovery import mark_dead

        runtime = current()
        mark_dead(
            runtime.factory,
            actor=message["actor_name"],
            args=message["args"],
            settings=runtime.settings,
        )

    dead = dramatiq.actor(
        broker=broker, actor_name="dead_letter", queue_name=INTAKE_QUEUE, max_retries=3
    )(dead_letter)

    def send(outbound_id: int) -> None:
        """Send one outbox mail over the configured transport."""
        from pipeline.outbound.send import send_outbound

        runtime = current()
        send_outbound(
            runtime.factory,
            outbound_id=outbound_id,
            transport=runtime.transport(),
            settings=runtime.settings,
        )

    sender = dramatiq.actor(
        broker=broker,
        actor_name="send_outbound",
        queue_name=OUTBOX_QUEUE,
        throws=(PermanentSendError,),
        **backoff,
    )(send)

    def process(inbound_id: int) -> None:
        """Turn one ledger mail into a case (or a reply, or a recorded non-complaint)."""
        from pipeline.intake.process import claim_inbound, process_inbound, release_inbound

        runtime = current()
        with runtime.intake_gate:
            held = claim_inbound(runtime.factory, inbound_id=inbound_id,
                                 settings=runtime.settings)
            if held is None:
                return
            try:
                outcome = process_inbound(runtime.factory, held=held, settings=runtime.settings)
            except Exception as err:
                release_inbound(runtime.factory, held=held, error=repr(err))
                raise
            send_now(runtime, sender, outcome.outbound_ids)
        runtime.enqueue_scans(outcome.scan_ids)

    processor = dramatiq.actor(
        broker=broker, actor_name="process_inbound", queue_name=INTAKE_QUEUE, **backoff
    )(process)

    def process_batch(inbound_ids: list[int]) -> None:
        """Process a poller's batch in one transaction; on any error, one mail at a time."""
        from pipeline.intake.process import claim_many, process_many, release_many

        runtime = current()
        with runtime.intake_gate:
            held = claim_many(runtime.factory, inbound_ids=inbound_ids,
                              settings=runtime.settings)
            if not held:
                return
            try:
                outcomes = process_many(runtime.factory, held=held, settings=runtime.settings)
            except Exception as err:
                log.warning("batch failed; processing its mails one by one", exc_info=True)
                release_many(runtime.factory, held=held, error=repr(err))
                for inbound_id in held.ids:
                    runtime.enqueue(processor, inbound_id)
                return
            send_now(runtime, sender, [o for outcome in outcomes for o in outcome.outbound_ids])
        runtime.enqueue_scans([s for outcome in outcomes for s in outcome.scan_ids])

    batcher = dramatiq.actor(
        broker=broker, actor_name="process_batch", queue_name=INTAKE_QUEUE, **backoff
    )(process_batch)
    def timed_work() -> None:
        """Remind, escalate and send due surveys (nudged by the scheduler)."""
        from workers.scheduler import run_timed_work

        run_timed_work(current())

    # No retries: the next scheduler nudge, moments later, is the retry.
    timed = dramatiq.actor(
        broker=broker, actor_name="timed_work", queue_name=TIMED_QUEUE, max_retries=0
    )(timed_work)
    ocr = declare_ocr_actor(broker, settings, sender, backoff)
    return Actors(
        process_inbound=processor,
        process_batch=batcher,
        send_outbound=sender,
        dead_letter=dead,
        timed_work=timed,
        ocr_letter=ocr,
    )


def declare_ocr_actor(
    broker: Broker, settings: Settings, sender: Actor[[int], None], backoff: dict[str, Any]
) -> Actor[[int], None]:
    """OCR runs on its own queue, so its heavy pages never hold up mail acknowledgments."""

    def ocr_letter(scan_id: int) -> None:
        """Read one scanned letter and open its case (or quarantine it with a reason)."""
        from pipeline.scans.jobs import claim_scan, process_scan, release_scan

        runtime = current()
        held = claim_scan(runtime.factory, scan_id=scan_id, settings=runtime.settings)
        if held is None:
            return
        try:
            outcome = process_scan(runtime.factory, held=held, settings=runtime.settings)
        except Exception as err:
            release_scan(runtime.factory, held=held, error=repr(err))
            raise
        send_now(runtime, sender, outcome.outbound_ids)

    limit_ms = int((settings.ocr_page_seconds * settings.ocr_max_pages + 120) * 1000)
    return dramatiq.actor(
        broker=broker,
        actor_name="ocr_letter",
        queue_name=OCR_QUEUE,
        time_limit=limit_ms,
        **backoff,
    )(ocr_letter)
