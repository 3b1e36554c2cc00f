"""The queues the actors use, and how promptly an idle consumer looks at each."""

from __future__ import annotations

INTAKE_QUEUE = "intake"
OUTBOX_QUEUE = "outbox"
TIMED_QUEUE = "timed"
OCR_QUEUE = "ocr"

PROMPT_QUEUES = frozenset({INTAKE_QUEUE, OUTBOX_QUEUE})
"""Queues a customer waits on: a new mail and its acknowledgment. Their idle consumers
poll Redis every 100 ms at most (dramatiq's Redis broker cannot block on a queue)."""

PROMPT_POLL_MS = 100
PATIENT_POLL_MS = 500
"""Every other queue (timed work, OCR, and the delay queues that hold retries, which
wait a second at least anyway) is polled twice a second when idle. At 100 ms the six
of them cost a worker about 2 % of a core doing nothing, and as much while busy.
Not longer: a worker stopping waits for its consumers' sleep to end."""


def poll_ms(queue_name: str) -> int:
    """The longest an idle consumer of ``queue_name`` sleeps between polls."""
    return PROMPT_POLL_MS if queue_name in PROMPT_QUEUES else PATIENT_POLL_MS
