"""Prometheus metrics, read from the database at scrape time.

Intake, sending, OCR and the sweep run in different processes (and containers);
counters kept in one process's memory would each tell part of the story and reset on
restart. So every figure is counted from the rows that record the work (mail by
classification, acknowledgments by outcome, job rows waiting, OCR seconds per scan,
case facts' acknowledgment times, the sweep's counters): one scrape of any console is
right for the whole deployment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import CaseFacts, InboundMail, LetterScan, MailboxPoll, OutboundMail
from pipeline.ops.counters import SWEEP_PREFIX, read_counts
from pipeline.ops.health import configured_mailboxes, oldest_unsent_seconds
from pipeline.ops.health import queue_depths as db_queue_depths

ACK_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0,
               3 * 86400.0)
OCR_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)


class DatabaseCollector(Collector):
    """Collects every metric from one read-only database session per scrape."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self._factory = factory
        self._settings = settings

    def collect(self) -> Iterator[Metric]:
        with self._factory() as session:
            yield _taken_in(session)
            yield _acknowledgments(session)
            yield _queue_depths(session)
            yield _oldest_unsent(session)
            yield _histogram(session, "complaints_ocr_seconds",
                             "Seconds spent reading each scanned letter (OCR).",
                             LetterScan.ocr_seconds, OCR_BUCKETS)
            yield _histogram(session, "complaints_acknowledgment_latency_seconds",
                             "From a complaint's arrival to its acknowledgment being sent.",
                             CaseFacts.ack_seconds, ACK_BUCKETS)
            yield _sweep_resends(session)
            yield _mailbox_polls(session, self._settings)


def _taken_in(session: Session) -> Metric:
    metric = CounterMetricFamily("complaints_mail_taken_in", "Mail recorded in the ledger, by "
                                 "classification (unclassified until intake has read it).",
                                 labels=["classification"])
    rows = session.execute(select(InboundMail.classification, func.count())
                           .group_by(InboundMail.classification))
    for classification, count in rows:
        metric.add_metric([classification or "unclassified"], count)
    return metric


def _acknowledgments(session: Session) -> Metric:
    metric = CounterMetricFamily("complaints_acknowledgments", "Acknowledgments sent or failed "
                                 "for good (retries not counted).", labels=["outcome"])
    rows = {status: count for status, count in session.execute(
        select(OutboundMail.status, func.count()).where(OutboundMail.kind == "acknowledgment")
        .group_by(OutboundMail.status))}
    for outcome in ("sent", "failed"):
        metric.add_metric([outcome], rows.get(outcome, 0))
    return metric


def _queue_depths(session: Session) -> Metric:
    metric = GaugeMetricFamily("complaints_queue_depth", "Work waiting, by queue (from the job "
                               "rows in the database).", labels=["queue"])
    for queue, depth in db_queue_depths(session).items():
        metric.add_metric([queue], depth)
    return metric


def _oldest_unsent(session: Session) -> Metric:
    age = oldest_unsent_seconds(session, utcnow())
    return GaugeMetricFamily("complaints_oldest_unsent_mail_seconds",
                             "Age of the oldest mail not yet sent (0 when none waits).",
                             value=age or 0.0)


def _histogram(session: Session, name: str, documentation: str, column: Any,
               buckets: Sequence[float]) -> Metric:
    """A cumulative histogram counted by the database in one pass over ``column``."""
    counts = session.execute(select(
        func.count(column), func.coalesce(func.sum(column), 0.0),
        *(func.coalesce(func.sum(case((column <= bound, 1), else_=0)), 0) for bound in buckets),
    )).one()
    total, seconds, cumulative = int(counts[0]), float(counts[1]), counts[2:]
    pairs = [(_bound(bound), int(n)) for bound, n in zip(buckets, cumulative, strict=True)]
    return HistogramMetricFamily(name, documentation, buckets=[*pairs, ("+Inf", total)],
                                 sum_value=seconds)


def _bound(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _sweep_resends(session: Session) -> Metric:
    metric = CounterMetricFamily("complaints_sweep_resends", "Unfinished work the sweep "
                                 "nudged again, by kind.", labels=["kind"])
    counts = read_counts(session, SWEEP_PREFIX)
    for kind in ("inbound", "outbound", "scans"):
        metric.add_metric([kind], counts.get(SWEEP_PREFIX + kind, 0))
    return metric


def _mailbox_polls(session: Session, settings: Settings) -> Metric:
    metric = GaugeMetricFamily("complaints_mailbox_last_success_timestamp_seconds",
                               "When each mailbox was last read successfully (Unix time).",
                               labels=["mailbox"])
    for name, label, _stale in configured_mailboxes(settings):
        row = session.get(MailboxPoll, name)
        if row is not None and row.last_success_at is not None:
            metric.add_metric([label], row.last_success_at.timestamp())
    return metric


def metrics_registry(factory: sessionmaker[Session], settings: Settings) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(factory, settings))
    return registry


def render_metrics(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format."""
    return generate_latest(registry)


def metric_samples(registry: CollectorRegistry) -> dict[str, float]:
    """Every sample as ``name{label="value"}`` -> value, for ``complaints status``."""
    samples: dict[str, float] = {}
    for metric in registry.collect():
        for sample in metric.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples
