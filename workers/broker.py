"""Broker setup: Redis in production, an in-process stub broker in the embedded mode.

dramatiq redelivers a killed worker's messages only after its heartbeat times out
and a maintenance pass runs; with the defaults a job was seen stranded for minutes.
We shorten the heartbeat and make maintenance likelier, and our own database sweep
covers whatever is still left.
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

from config.settings import Settings

# Conservative defaults for actors that do not declare their own policy.
DEFAULT_RETRIES = Retries(max_retries=5, min_backoff=1_000, max_backoff=60_000)


def make_broker(settings: Settings) -> Broker:
    """Build the broker the settings ask for; nothing is connected until first use."""
    broker: Broker
    if settings.redis_url:
        broker = RedisBroker(
            url=settings.redis_url,
            heartbeat_timeout=settings.heartbeat_timeout_ms,
            maintenance_chance=settings.maintenance_chance,
            namespace="complaints",
        )
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    _replace_retries(broker)
    return broker


def _replace_retries(broker: Broker) -> None:
    for index, middleware in enumerate(broker.middleware):
        if isinstance(middleware, Retries):
            broker.middleware[index] = DEFAULT_RETRIES
