"""Intake benchmark: complaints/s end to end and acknowledgment latency.

Real parts: Dovecot (IMAP, IDLE), PostgreSQL, Redis, an aiosmtpd sink, and the product
as separate processes (`complaints poll` + N x `complaints worker`).

1. Backlog: N synthetic complaints are put in the mailbox first; then the poller starts.
   Figure: complaints/s from poller start to the last acknowledgment accepted by SMTP.
2. Latency: with the poller idling in IDLE, single mails arrive one at a time.
   Figure: p50/p95 seconds from APPEND to the acknowledgment accepted by SMTP.

    .venv/bin/python bench/intake_throughput.py --mails 2000 --workers 2 --threads 8
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus, english  # noqa: E402
from pipeline.db.migrate import upgrade  # noqa: E402
from tests.support.dovecot import DovecotServer  # noqa: E402
from tests.support.services import fresh_postgres_database, require_redis  # noqa: E402
from tests.support.smtp_sink import SmtpSink  # noqa: E402


def product_env(
    data_dir: Path, db: str, redis_url: str, dovecot: DovecotServer, smtp_port: int, threads: int
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env.update(
        COMPLAINTS_DATA_DIR=str(data_dir),
        COMPLAINTS_DATABASE_URL=db,
        COMPLAINTS_REDIS_URL=redis_url,
        COMPLAINTS_IMAP_HOST=dovecot.host,
        COMPLAINTS_IMAP_PORT=str(dovecot.port),
        COMPLAINTS_IMAP_USER=dovecot.user,
        COMPLAINTS_IMAP_PASSWORD=dovecot.password,
        COMPLAINTS_IMAP_SSL="false",
        COMPLAINTS_IMAP_DONE_FOLDER="Recorded",
        COMPLAINTS_SMTP_HOST="127.0.0.1",
        COMPLAINTS_SMTP_PORT=str(smtp_port),
        COMPLAINTS_SMTP_STARTTLS="false",
        COMPLAINTS_FROM_ADDRESS="complaints@shop.example",
        COMPLAINTS_WORKER_THREADS=str(threads),
        COMPLAINTS_ACK_LIMIT_PER_ADDRESS="1000000",
        COMPLAINTS_INBOUND_LIMIT_PER_ADDRESS_DAY="1000000",
        COMPLAINTS_ACK_LIMIT_PER_HOUR="1000000",  # measure throughput, not the spam budget
        COMPLAINTS_LOG_LEVEL="WARNING",
    )
    return env


def start(command: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers", command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_ready(proc: subprocess.Popen[str]) -> None:
    """The process prints its banner once it is serving."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("Running"):
        raise SystemExit(f"process did not start: {line!r}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def backlog(
    args: argparse.Namespace, dovecot: DovecotServer, sink: SmtpSink, env: dict[str, str]
) -> list[subprocess.Popen[str]]:
    mails = corpus(args.mails)
    print(f"appending {len(mails)} mails to Dovecot ...", flush=True)
    for raw in mails:
        dovecot.append(raw)
    workers = [start("worker", env) for _ in range(args.workers)]
    for proc in workers:
        wait_ready(proc)
    t0 = time.monotonic()
    poller = start("poll", env)
    if not sink.wait_for(len(mails), timeout=args.timeout):
        raise SystemExit(f"only {len(sink.messages)} of {len(mails)} acknowledgments arrived")
    elapsed = sink.messages[len(mails) - 1][0] - t0
    print(
        f"backlog: {len(mails)} complaints in {elapsed:.1f} s "
        f"= {len(mails) / elapsed:.1f} complaints/s end to end "
        f"(mailbox -> case committed -> acknowledgment accepted by SMTP)"
    )
    return [*workers, poller]


def latency(args: argparse.Namespace, dovecot: DovecotServer, sink: SmtpSink) -> None:
    import random

    rng = random.Random(11)
    samples = []
    for i in range(args.latency_samples):
        before = len(sink.messages)
        raw = english(1_000_000 + i, rng)
        sent_at = time.monotonic()
        dovecot.append(raw)
        if not sink.wait_for(before + 1, timeout=30):
            raise SystemExit("an acknowledgment did not arrive within 30 s")
        samples.append(sink.messages[before][0] - sent_at)
        time.sleep(rng.uniform(0.2, 0.6))  # mails arrive one at a time, the poller idles between
    print(
        f"latency over {len(samples)} single mails (APPEND -> acknowledgment accepted): "
        f"p50 {statistics.median(samples):.2f} s, p95 {percentile(samples, 0.95):.2f} s, "
        f"max {max(samples):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{args.workers} worker processes x {args.threads} threads + 1 poller"
    )
    redis_url = require_redis()
    with (
        fresh_postgres_database() as db,
        DovecotServer() as dovecot,
        SmtpSink() as sink,
        tempfile.TemporaryDirectory() as tmp,
    ):
        upgrade(db)
        env = product_env(Path(tmp), db, redis_url, dovecot, sink.port, args.threads)
        procs = backlog(args, dovecot, sink, env)
        try:
            latency(args, dovecot, sink)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
