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


def test_in_process_brokers_share_one_time_limit_thread_that_still_stops_an_actor(
        sqlite_settings: Settings) -> None:
    """GIVEN many in-process brokers, as a test run or the demo builds WHEN an actor on the
    last one overruns its time limit THEN it is stopped, and one timer thread serves them
    all (dramatiq's timer never ends: one per broker piled up hundreds of threads)."""
    import threading

    import dramatiq
    from dramatiq import Worker
    from dramatiq.middleware.time_limit import TimeLimitExceeded

    def timers() -> int:
        return sum(type(t).__name__ == "_CtypesTimeoutManager" for t in threading.enumerate())

    brokers = [make_broker(sqlite_settings) for _ in range(20)]
    assert timers() == 1
    stopped = threading.Event()

    @dramatiq.actor(broker=brokers[-1], time_limit=200, max_retries=0)
    def overrun() -> None:
        try:
            for _ in range(600):  # 30 s, in small sleeps the timer's exception can enter
                threading.Event().wait(0.05)
        except TimeLimitExceeded:
            stopped.set()
            raise

    worker = Worker(brokers[-1], worker_threads=1)
    worker.start()
    try:
        overrun.send()
        assert stopped.wait(20), "the time limit did not stop the actor"
    finally:
        worker.stop()
    assert timers() == 1
