"""Real dramatiq workers on Redis and PostgreSQL, in their own processes.

The worker is started as ``complaints worker`` and killed with SIGKILL in the middle
of a backlog; a second worker and the sweep must finish the job with exactly one case
per mail and one acknowledgment per case.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from config.settings import Settings
from pipeline.db.models import Case, InboundMail, OutboundMail
from pipeline.mailbox.ledger import record_mail
from tests.support import mails
from tests.support.services import worker_env
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.runtime import Runtime
from workers.sweeper import sweep_once

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def prod_settings(prod_settings: Settings) -> Settings:
    """Short claims (a test kills a worker mid-send) and a few threads per worker."""
    return prod_settings.model_copy(update={"claim_seconds": 3.0, "worker_threads": 4})


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers", "worker"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def counts(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.factory() as session:
        cases = session.scalar(select(func.count(Case.id))) or 0
        sent = (
            session.scalar(select(func.count(OutboundMail.id)).where(OutboundMail.status == "sent"))
            or 0
        )
        open_mail = (
            session.scalar(
                select(func.count(InboundMail.id)).where(InboundMail.status == "received")
            )
            or 0
        )
    return cases, sent, open_mail


def feed(runtime: Runtime, n: int) -> None:
    """Record n complaints and nudge the queue, as the poller does."""
    ids = []
    with runtime.factory() as session, session.begin():
        for i in range(n):
            raw = mails.complaint(
                sender=f"Customer {i} <c{i}@customer.example>", subject=f"Problem {i}"
            )
            ids.append(record_mail(session, raw=raw, source="test").inbound_id)
    runtime.enqueue_inbound_batch(ids)


def test_worker_killed_mid_backlog_loses_nothing_and_doubles_nothing(
    prod_settings: Settings, sink: SmtpSink
) -> None:
    runtime = build_runtime(prod_settings)
    total = 150
    feed(runtime, total)
    first = start_worker(prod_settings)
    try:
        wait_until(lambda: counts(runtime)[0] >= 20, 60, "the first worker to make progress")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert counts(runtime)[0] < total, "the kill came too late to test anything"
        second = start_worker(prod_settings)
        try:

            def done() -> bool:
                sweep_once(runtime)
                cases, sent, open_mail = counts(runtime)
                return cases == total and sent == total and open_mail == 0

            wait_until(done, 120, "every mail to end as a case with a sent acknowledgment")
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    with runtime.factory() as session:
        per_case = session.execute(
            text("SELECT case_id, count(*) FROM outbound_mail GROUP BY case_id HAVING count(*) > 1")
        ).all()
    assert per_case == []
    delivered = sink.message_ids()
    assert len(delivered) == total
    # Policy: a send cut off by the kill is repeated with the same Message-ID; at most the
    # few mails in flight at the moment of the kill can have arrived twice.
    assert sum(n - 1 for n in delivered.values()) <= prod_settings.worker_threads
    runtime.engine.dispose()


def test_redis_down_while_mail_arrives_then_sweep_recovers(
    prod_settings: Settings, sink: SmtpSink
) -> None:
    """GIVEN Redis unreachable WHEN mail is recorded THEN it waits in the database for the sweep."""
    down = prod_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    offline = build_runtime(down)
    feed(offline, 5)  # every enqueue fails: logged, not raised
    assert counts(offline)[2] == 5
    offline.engine.dispose()

    runtime = build_runtime(prod_settings)
    worker = start_worker(prod_settings)
    try:

        def done() -> bool:
            sweep_once(runtime)
            return counts(runtime)[:2] == (5, 5)

        wait_until(done, 60, "the swept mail to be processed and acknowledged")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert len(sink.message_ids()) == 5
    runtime.engine.dispose()
