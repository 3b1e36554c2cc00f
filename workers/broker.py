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
from dramatiq.middleware import Middleware, Retries, TimeLimit

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
        _replace(broker, TimeLimit, _shared_time_limit(broker))
    _replace(broker, Retries, DEFAULT_RETRIES)
    return broker


_booting = threading.Lock()
_booted: list[TimeLimit] = []  # the in-process time limit, once its timer has started


def _shared_time_limit(booting: Broker) -> TimeLimit:
    """The one time limit every in-process broker of this process uses, timer started.

    The dramatiq command starts a worker process's timer when it boots; an in-process
    broker has no boot, so it is started here. dramatiq's timer thread never ends and
    wakes every second: one per broker, a process that builds many (a test run builds
    hundreds) kept hundreds of threads waking to take the interpreter's lock. The
    middleware keeps no broker's state (deadlines go by thread id), so brokers share it
    as they share :data:`DEFAULT_RETRIES`.
    """
    with _booting:
        if not _booted:
            limit = TimeLimit()
            limit.after_process_boot(booting)
            _booted.append(limit)
        return _booted[0]


def _replace(broker: Broker, kind: type[Middleware], shared: Middleware) -> None:
    for index, middleware in enumerate(broker.middleware):
        if isinstance(middleware, kind):
            broker.middleware[index] = shared


class _PollingBroker(RedisBroker):
    """A Redis broker whose idle consumers poll each queue as often as it needs.

    dramatiq gives every consumer of a worker the same idle timeout; ours is short for
    the queues a customer waits on and a second for the rest (:func:`poll_ms`).
    """

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        return super().consume(queue_name, prefetch=prefetch, timeout=poll_ms(queue_name))
