"""How often idle consumers poll Redis: often where a customer waits, rarely elsewhere."""

from __future__ import annotations

from config.settings import Settings
from workers.broker import make_broker
from workers.queues import (
    INTAKE_QUEUE,
    OCR_QUEUE,
    OUTBOX_QUEUE,
    PATIENT_POLL_MS,
    PROMPT_POLL_MS,
    TIMED_QUEUE,
)


def test_only_the_queues_a_customer_waits_on_are_polled_promptly(settings: Settings) -> None:
    """GIVEN the Redis broker WHEN a worker consumes every queue THEN new mail and
    acknowledgments are looked for every 100 ms, timed work, OCR and the delay queues
    holding retries every 500 ms (no Redis connection is needed to build a consumer)."""
    broker = make_broker(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    timeouts = {name: broker.consume(name, prefetch=1, timeout=100).timeout  # type: ignore[attr-defined]
                for name in (INTAKE_QUEUE, OUTBOX_QUEUE, TIMED_QUEUE, OCR_QUEUE,
                             f"{INTAKE_QUEUE}.DQ", f"{OUTBOX_QUEUE}.DQ")}
    assert timeouts == {
        INTAKE_QUEUE: PROMPT_POLL_MS, OUTBOX_QUEUE: PROMPT_POLL_MS,
        TIMED_QUEUE: PATIENT_POLL_MS, OCR_QUEUE: PATIENT_POLL_MS,
        f"{INTAKE_QUEUE}.DQ": PATIENT_POLL_MS, f"{OUTBOX_QUEUE}.DQ": PATIENT_POLL_MS,
    }
    assert PROMPT_POLL_MS < PATIENT_POLL_MS
