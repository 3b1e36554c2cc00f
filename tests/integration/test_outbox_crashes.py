"""Each acknowledgment is delivered once through crashes (issue 11), with everything real:
mail files dropped for a ``complaints poll`` subprocess, ``complaints worker``
subprocesses on Redis, PostgreSQL, and an SMTP server that takes 80 ms per mail.

Workers are killed with SIGKILL again and again under a backlog, and (on a private
cluster) PostgreSQL is stopped abruptly and restarted. The only repeat allowed is the
documented one: a worker killed between the server's 250 and the commit that records
it. Each test prints its measured counts (``pytest -s`` shows them).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from config.settings import Settings
from pipeline.db.base import make_engine
from pipeline.db.migrate import upgrade
from pipeline.db.models import Case, InboundMail, OutboundMail
from tests.support import mails
from tests.support.private_postgres import PrivatePostgres
from tests.support.services import port_open, worker_env
from tests.support.smtp_sink import SmtpSink, free_port
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SMTP_DELAY = 0.08  # seconds per mail, as measured in the issue


@pytest.fixture
def slow_sink() -> Iterator[SmtpSink]:
    with SmtpSink(delay=SMTP_DELAY) as server:
        yield server


class Service:
    """The poller and the workers as real ``complaints`` processes, logging to files."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.env = worker_env(
            settings,
            COMPLAINTS_SWEEP_SECONDS="1",
            COMPLAINTS_FOLDER_POLL_SECONDS="0.2",
        )
        self.started = 0
        self.poller = self.spawn("poll")
        self.workers = [self.spawn("worker"), self.spawn("worker")]

    def spawn(self, command: str) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"{command}-{self.started}.log").open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "workers", command],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill_worker(self, index: int) -> None:
        """SIGKILL one worker and start a fresh one in its place."""
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait(timeout=30)
        self.workers[index] = self.spawn("worker")

    def running(self) -> bool:
        return all(p.poll() is None for p in (self.poller, *self.workers))

    def stop(self) -> None:
        for process in (self.poller, *self.workers):
            if process.poll() is None:
                process.terminate()
        for process in (self.poller, *self.workers):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


class Database:
    """Reads the outcome; answers None while the database is down."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def counts(self) -> dict[str, int] | None:
        try:
            with self.engine.connect() as conn:
                return {
                    "cases": conn.scalar(select(func.count(Case.id))) or 0,
                    "open_inbound": conn.scalar(
                        select(func.count(InboundMail.id)).where(InboundMail.status == "received")
                    )
                    or 0,
                    "sent": conn.scalar(
                        select(func.count(OutboundMail.id)).where(OutboundMail.status == "sent")
                    )
                    or 0,
                    "unsent": conn.scalar(
                        select(func.count(OutboundMail.id)).where(OutboundMail.status != "sent")
                    )
                    or 0,
                }
        except DBAPIError:
            return None

    def breakdown(self) -> list[tuple[str, str, int, int]]:
        """(table, status, attempts, rows): what an unfinished run was left with."""
        with self.engine.connect() as conn:
            return [
                (model.__tablename__, r[0], r[1], r[2])
                for model in (InboundMail, OutboundMail)
                for r in conn.execute(
                    select(model.status, model.attempts, func.count(model.id)).group_by(
                        model.status, model.attempts
                    )
                )
            ]

    def message_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(OutboundMail.message_id)))


def drop_mails(settings: Settings, first: int, n: int) -> None:
    """Put n complaints from n senders in the mail folder, as a mail server delivers them."""
    inbox = settings.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + n):
        raw = mails.complaint(sender=f"Customer {i} <c{i}@customer.example>", subject=f"No {i}")
        part = inbox / f"{i:05d}.eml.tmp"
        part.write_bytes(raw)
        part.rename(inbox / f"{i:05d}.eml")


def sent(db: Database) -> int:
    return (db.counts() or {}).get("sent", 0)


def reached(db: Database, goal: int) -> bool:
    return sent(db) >= goal


def all_done(db: Database, total: int) -> bool:
    counts = db.counts()
    return counts == {"cases": total, "open_inbound": 0, "sent": total, "unsent": 0}


def check_delivery(db: Database, sink: SmtpSink, total: int) -> Counter[str]:
    """Every acknowledgment arrived; returns how often each one did."""
    delivered = sink.message_ids()
    assert set(delivered) == db.message_ids()
    assert len(delivered) == total
    return delivered


def repeats(delivered: Counter[str]) -> int:
    return sum(n - 1 for n in delivered.values())


def taken_over(logs: Path) -> int:
    """How often a live worker found, after a 250, that the sweep had given its mail away."""
    return sum(
        log.read_text(errors="replace").count("its claim was taken over")
        for log in logs.glob("*.log")
    )


def arrivals(sink: SmtpSink) -> dict[str, list[float]]:
    """When each copy of each acknowledgment reached the server, in order."""
    from email.parser import BytesHeaderParser

    parser = BytesHeaderParser()
    seen: dict[str, list[float]] = {}
    for at, _, raw in sink.messages:
        seen.setdefault(str(parser.parsebytes(raw)["Message-ID"]), []).append(at)
    return seen


def cut_off_by_kills(copies: list[float], kills: list[float]) -> bool:
    """Every copy but the last arrived within moments of its own kill.

    A mail can be in flight when one worker is killed, be swept to the other worker and
    be in flight again when that one is killed: each earlier copy needs a kill of its own.
    """
    unused = sorted(kills)
    for at in copies[:-1]:
        near = [k for k in unused if abs(k - at) < 3.0]
        if not near:
            return False
        unused.remove(near[0])
    return True


# 300 complaints within the hour: the hourly acknowledgment budget (default 200) would
# hold the rest for staff, which is not what these tests are about.
BACKLOG_BUDGET = 10_000


@pytest.mark.timeout(600)
def test_workers_killed_again_and_again_deliver_each_mail_once(
    prod_settings: Settings, slow_sink: SmtpSink, tmp_path: Path
) -> None:
    settings = prod_settings.model_copy(
        # The claim outlasts any stall of a live worker on a busy machine, as in production
        # (120 s); a killed worker's mails wait that long for the sweep.
        update={"smtp_port": slow_sink.port, "claim_seconds": 10.0, "worker_threads": 4,
                "ack_limit_per_hour": BACKLOG_BUDGET}
    )
    total = 300
    drop_mails(settings, 0, total)
    db = Database(settings.database_url)
    service = Service(settings, tmp_path)
    kills: list[float] = []
    started = time.monotonic()
    try:
        # Kill a worker each time another 20 acknowledgments went out, the two in turn:
        # each kill lands in the middle of sending, however busy the machine is.
        last = 0
        while len(kills) < 12:
            progressed = partial(reached, db, last + 20)
            wait_until(progressed, 120, "the workers to make progress", 0.2)
            last = sent(db)
            if last >= total - 20:
                break
            kills.append(time.monotonic())
            service.kill_worker(len(kills) % 2)
        wait_until(lambda: all_done(db, total), 240, "every mail to be a case with one sent ack")
        assert service.running()
    finally:
        service.stop()
        print("\nrows by status and attempts:", db.breakdown())
    delivered = check_delivery(db, slow_sink, total)
    seen = arrivals(slow_sink)
    twice = [m for m, n in delivered.items() if n > 1]
    print(
        f"\nSIGKILL storm: {total} mails, {len(kills)} kills, {repeats(delivered)} repeated, "
        f"{taken_over(tmp_path)} claims taken over, {time.monotonic() - started:.1f} s"
    )
    assert len(kills) >= 10, "the backlog was gone before the kills could test anything"
    # A repeat is only the documented window: the server had the whole mail (the sink
    # keeps it once its 80 ms are up, even when the client is gone by then) but the
    # killed worker had not committed it as sent. So every repeat's first copy arrived
    # within moments of a kill, and a kill can cut off at most one send per thread.
    # The same mail may be cut off twice (killed, swept to the other worker, killed again).
    for message_id in twice:
        assert cut_off_by_kills(seen[message_id], kills), (message_id, seen[message_id], kills)
    assert repeats(delivered) <= len(kills) * settings.worker_threads
    db.engine.dispose()


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    with PrivatePostgres() as pg:
        upgrade(pg.url)
        yield pg


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own, so it needs no shared database index."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: port_open("127.0.0.1", port), 30, "the private Redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.timeout(600)
def test_postgres_crash_and_restart_under_a_backlog_delivers_each_mail_once(
    private_pg: PrivatePostgres, private_redis: str, slow_sink: SmtpSink, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=private_pg.url,
        redis_url=private_redis,
        smtp_host="127.0.0.1",
        smtp_port=slow_sink.port,
        smtp_starttls=False,
        from_address="complaints@shop.example",
        claim_seconds=15.0,
        worker_threads=4,
        ack_limit_per_hour=BACKLOG_BUDGET,
    )
    total = 300
    drop_mails(settings, 0, total)
    db = Database(settings.database_url)
    service = Service(settings, tmp_path)
    started = time.monotonic()
    try:
        wait_until(
            lambda: len(slow_sink.messages) >= total // 4, 240, "a quarter of the acks to go out"
        )
        private_pg.crash()
        crashed_with = len(slow_sink.messages)
        time.sleep(6)  # the outage lasts six seconds
        private_pg.start()
        wait_until(lambda: all_done(db, total), 240, "every mail to be a case with one sent ack")
        assert service.running()
        # The poller still polls: new mail after the restart becomes cases too.
        drop_mails(settings, total, 5)
        wait_until(lambda: all_done(db, total + 5), 60, "mail dropped after the restart")
        assert service.running()
    finally:
        service.stop()
    delivered = check_delivery(db, slow_sink, total + 5)
    print(
        f"\nPostgreSQL crash: {total + 5} mails, crashed after {crashed_with} acks, "
        f"{repeats(delivered)} repeated, {taken_over(tmp_path)} claims taken over, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert crashed_with < total, "the crash came after the backlog"
    assert repeats(delivered) <= 1
    db.engine.dispose()
