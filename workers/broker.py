"""Broker setup: Redis in production, an in-process stub broker in the embedded mode.

dramatiq redelivers a killed worker's messages only after its heartbeat times out
and a maintenance pass runs; with the defaults a job was seen stranded for minutes.
We shorten the heartbeat and make maintenance likelier, and our own database sweep
covers whatever is still left.
"""

from __future__ import annotations

import threading

from dramatiq import Broker, Consumer
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, TimeLimit

from config.settings import Settings
from workers.queues import poll_ms

# Conservative defaults for actors that do not declare their own policy.
DEFAULT_RETRIES = Retries(max_retries=5, min_backoff=1_000, max_backoff=60_000)


def make_broker(settings: Settings) -> Broker:
    """Build the broker the settings ask for; nothing is connected until first use."""
    broker: Broker
    if settings.redis_url:
        broker = _PollingBroker(
            url=settings.redis_url,
            heartbeat_timeout=settings.heartbeat_timeout_ms,
            maintenance_chance=settings.maintenance_chance,
            namespace="complaints",
        )
    else:
        broker = StubBroker()
        _boot_time_limits(broker)
    _replace_retries(broker)
    return broker


_booting = threading.Lock()
_started_timer: object | None = None  # the one time-limit timer thread of this process


def _boot_time_limits(broker: Broker) -> None:
    """Start the time-limit timer of an in-process broker, sharing one thread per process.

    The dramatiq command starts each worker process's timer when it boots; an in-process
    broker has no boot, so we start it here. dramatiq's timer thread never ends and
    wakes every second: one per broker, a process that builds many (a test run builds
    hundreds) kept hundreds of threads waking to take the interpreter's lock. Deadlines
    are kept per thread id, so brokers in one process can share one timer.
    """
    global _started_timer
    for middleware in broker.middleware:
        if not isinstance(middleware, TimeLimit):
            continue
        with _booting:
            if _started_timer is None:
                middleware.after_process_boot(broker)
                _started_timer = middleware.manager
            else:
                middleware.manager = _started_timer  # type: ignore[assignment]


def _replace_retries(broker: Broker) -> None:
    for index, middleware in enumerate(broker.middleware):
        if isinstance(middleware, Retries):
            broker.middleware[index] = DEFAULT_RETRIES


class _PollingBroker(RedisBroker):
    """A Redis broker whose idle consumers poll each queue as often as it needs.

    dramatiq gives every consumer of a worker the same idle timeout; ours is short for
    the queues a customer waits on and a second for the rest (:func:`poll_ms`).
    """

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        return super().consume(queue_name, prefetch=prefetch, timeout=poll_ms(queue_name))
