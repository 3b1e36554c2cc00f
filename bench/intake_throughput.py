"""Intake benchmark: complaints/s end to end and acknowledgment latency.

Real parts: Dovecot (IMAP, IDLE), PostgreSQL, Redis, an aiosmtpd sink, and the product
as separate processes (`complaints poll` + N x `complaints worker`).

1. Backlog: N synthetic complaints are put in the mailbox first and the workers started;
   then, the disks synced and the machine quiet (``--max-load``, as the peer's run.sh
   waits before each run), the poller starts.
   Figures: complaints/s from poller start to the last acknowledgment accepted by SMTP,
   and CPU milliseconds per complaint for each process group (poller, workers,
   PostgreSQL, Redis, Dovecot, the SMTP sink), read with psutil, and where the time went:
   the wait for the first acknowledgment (mostly the poller's start-up) and the rate once
   the pipeline is full. ``--profile`` adds the top functions of one worker
   (``--profile poller``: of the poller), sampled with py-spy.
2. Latency: with the poller idling in IDLE, single mails arrive one at a time.
   Figure: p50/p95 seconds from APPEND to the acknowledgment accepted by SMTP.

    .venv/bin/python bench/intake_throughput.py --mails 2000 --workers 2 --threads 4

The same corpus for the peer: ``--save-corpus DIR`` writes the mails as .eml files, and
``../shared/tools/peer-helpdesk/run.sh --mails 2000 --corpus DIR`` reads them;
``--corpus DIR`` makes this benchmark read a folder of .eml files instead.
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

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus, english  # noqa: E402
from bench.cpu import Finder, costs, named, snapshot, table, tree  # noqa: E402
from bench.pyspy import Recording, report  # noqa: E402
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


def load_corpus(args: argparse.Namespace) -> list[bytes]:
    """The mails of the run: a folder of .eml files (sorted by name), or generated."""
    if args.corpus is None:
        return corpus(args.mails)
    files = sorted(Path(args.corpus).glob("*.eml"))[: args.mails]
    if len(files) < args.mails:
        raise SystemExit(f"{args.corpus} holds {len(files)} .eml files, fewer than {args.mails}")
    return [f.read_bytes() for f in files]


def save_corpus(mails: list[bytes], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(mails):
        (folder / f"{i:06d}.eml").write_bytes(raw)
    print(f"wrote {len(mails)} .eml files to {folder}")


def process_groups(dovecot: DovecotServer, workers: list[subprocess.Popen[str]]
                   ) -> dict[str, Finder]:
    """Every process that takes part in intake but the poller, by group, for the CPU table."""
    assert dovecot._proc is not None
    return {
        "workers": tree(*(w.pid for w in workers)),
        "PostgreSQL": named("postgres"),
        "Redis": named("redis-server"),
        "Dovecot": tree(dovecot._proc.pid),
        "SMTP sink": lambda: [psutil.Process()],  # runs in this process; nothing else does now
    }


def backlog(
    args: argparse.Namespace, dovecot: DovecotServer, sink: SmtpSink, env: dict[str, str]
) -> list[subprocess.Popen[str]]:
    mails = load_corpus(args)
    print(f"appending {len(mails)} mails to Dovecot ...", flush=True)
    for raw in mails:
        dovecot.append(raw)
    workers = [start("worker", env) for _ in range(args.workers)]
    for proc in workers:
        wait_ready(proc)
    settle(env["COMPLAINTS_DATABASE_URL"], args.max_load)
    recording = (Recording.start(workers[0].pid, Path(args.profile_output), gil=args.gil)
                 if args.profile == "worker" else None)
    groups = process_groups(dovecot, workers)
    before = snapshot(groups)
    t0 = time.monotonic()
    poller = start("poll", env)
    if args.profile == "poller":
        recording = Recording.start(poller.pid, Path(args.profile_output), gil=args.gil)
    groups = {"poller": tree(poller.pid), **groups}  # counted from zero: start-up included
    if not sink.wait_for(len(mails), timeout=args.timeout):
        raise SystemExit(f"only {len(sink.messages)} of {len(mails)} acknowledgments arrived")
    after = snapshot(groups)
    elapsed = sink.messages[len(mails) - 1][0] - t0
    if recording is not None:
        recording.stop()
    print(
        f"backlog: {len(mails)} complaints in {elapsed:.1f} s "
        f"= {len(mails) / elapsed:.1f} complaints/s end to end "
        f"(mailbox -> case committed -> acknowledgment accepted by SMTP)"
    )
    print(phases([at for at, _, _ in sink.messages[: len(mails)]], t0))
    print("\nCPU per complaint during the backlog (user + system, psutil):\n")
    print(table(costs(before, after), items=len(mails)))
    if recording is not None:
        print("\n" + report(recording))
    return [*workers, poller]


def settle(db: str, max_load: float) -> None:
    """Start the timed part as the peer's ``run.sh`` starts each of its runs: the disks
    synced, then the 1-minute load average below ``max_load`` (0: no wait), waiting
    up to ten minutes.

    PostgreSQL's part of the sync is a checkpoint: the pages the run before this one
    wrote are on disk before the clock starts, not written out in the middle of it.
    The wait lets the load of starting the workers, and of the run before, die down.
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(db, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
    except Exception as err:  # noqa: BLE001 - a benchmark without the right goes on
        print(f"no checkpoint before the run ({type(err).__name__}); measuring anyway")
    finally:
        engine.dispose()
    os.sync()
    if max_load <= 0:
        return
    deadline = time.monotonic() + 600
    while (load := os.getloadavg()[0]) >= max_load:
        if time.monotonic() > deadline:
            print(f"WARNING: load still {load:.2f} after 10 min; measuring anyway")
            return
        print(f"waiting: 1-min load {load:.2f} >= {max_load}", flush=True)
        time.sleep(10)


def phases(arrivals: list[float], t0: float) -> str:
    """Where the run's time went: the wait for the first acknowledgment (the poller's
    start-up, its first fetch, the first batch) and the rate once the pipeline is full,
    between the 10th and the 90th percentile of acknowledgments."""
    first, low, high = arrivals[0], arrivals[len(arrivals) // 10], arrivals[len(arrivals) * 9 // 10]
    steady = (len(arrivals) * 9 // 10 - len(arrivals) // 10) / max(high - low, 1e-9)
    return (f"first acknowledgment {first - t0:.2f} s after the poller started; "
            f"steady rate (10th to 90th percentile) {steady:.1f} complaints/s")


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
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--corpus", type=Path, help="read the mails from the .eml files here")
    parser.add_argument("--save-corpus", type=Path,
                        help="write the generated mails here as .eml files (for the peer) and stop")
    parser.add_argument("--profile", nargs="?", const="worker", choices=["worker", "poller"],
                        help="sample the first worker (or the poller) with py-spy and print "
                             "its top functions")
    parser.add_argument("--profile-output", default="/tmp/intake.pyspy.txt")
    parser.add_argument("--gil", action="store_true",
                        help="profile only the thread holding the interpreter lock (CPU, "
                             "not waits)")
    parser.add_argument("--latency-samples", type=int, default=40,
                        help="single mails timed after the backlog (0: none)")
    parser.add_argument("--max-load", type=float, default=1.0,
                        help="before the timed part, wait (up to 10 min) for the 1-min load "
                             "average to fall below this, as the peer's run.sh does (0: no "
                             "wait)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.save_corpus is not None:
        save_corpus(corpus(args.mails), args.save_corpus)
        return
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
            if args.latency_samples > 0:  # 0: the backlog alone (a profile, say)
                latency(args, dovecot, sink)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
