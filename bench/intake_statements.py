"""Intake work per complaint in one process: SQL statements, transactions and CPU.

The end-to-end benchmark (``intake_throughput.py``) says how fast the whole product is,
but its figures move with the machine's load. This one counts what does not move: how
many SQL statements and transactions one complaint costs, from the ledger row to the
acknowledgment marked sent, on PostgreSQL, with an SMTP transport that accepts
everything at once. It also reports the Python CPU milliseconds per complaint of that
single thread (``time.process_time``), the part of the cost our own code controls, and
the CPU milliseconds of PostgreSQL's processes meanwhile (psutil; the machine's other
databases count too, so run it on an otherwise idle server).

    .venv/bin/python bench/intake_statements.py --mails 300 [--profile FILE]

``--profile FILE`` writes a cProfile of the timed part (read it with ``python -m pstats``)
and prints its top 15 functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.corpus import corpus  # noqa: E402
from bench.cpu import costs, named, snapshot  # noqa: E402
from config.settings import Settings  # noqa: E402
from pipeline.intake.process import claim_many, process_many  # noqa: E402
from pipeline.mailbox.ledger import record_mail  # noqa: E402
from pipeline.outbound.send import send_many  # noqa: E402
from tests.support.services import fresh_postgres_database, require_redis  # noqa: E402
from workers.app import build_runtime  # noqa: E402
from workers.runtime import Runtime  # noqa: E402


class AcceptAll:
    """An SMTP server that says 250 to everything, instantly: only our cost is measured."""

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        return None

    def close(self) -> None:
        return None


class Counts:
    """Statements by their first words, and transactions, seen on the engine."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.transactions = 0

    def statement(self, conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        words = sql.split()
        verb = words[0].upper() if words else "?"
        table = ""
        for marker in ("INTO", "UPDATE", "FROM"):
            if marker in words[:6]:
                table = words[words.index(marker) + 1]
                break
        self.statements[f"{verb} {table}".strip()] += 1

    def begin(self, conn: Any) -> None:
        """A database transaction; a statement run in autocommit is not one (no BEGIN)."""
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.transactions += 1


def run_batch(runtime: Runtime, mails: list[bytes], start: int, batch: int) -> None:
    """One poller batch: ledger rows, one worker batch, then its acknowledgments sent."""
    settings = runtime.settings
    ids = []
    with runtime.factory() as session, session.begin():
        for i, raw in enumerate(mails):
            ids.append(record_mail(session, raw=raw, source=f"bench:{start + i}",
                                   mailbox_key="default").inbound_id)
    for first in range(0, len(ids), batch):
        held = claim_many(runtime.factory, inbound_ids=ids[first:first + batch],
                          settings=settings)
        outcomes = process_many(runtime.factory, held=held, settings=settings)
        outbound = [i for o in outcomes for i in o.outbound_ids]
        send_many(runtime.factory, outbound_ids=outbound, transport=AcceptAll(),
                  settings=settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--batch", type=int, default=20, help="mails per worker batch")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed part here")
    args = parser.parse_args()
    mails = corpus(args.warmup + args.mails)
    redis_url = require_redis()
    with fresh_postgres_database() as db, tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(Settings(  # type: ignore[call-arg]
            data_dir=Path(tmp), database_url=db, redis_url=redis_url,
            from_address="complaints@shop.example", ack_limit_per_hour=1_000_000,
            ack_limit_per_address=1_000_000, inbound_limit_per_address_day=1_000_000))
        try:
            run_batch(runtime, mails[: args.warmup], 0, args.batch)  # caches, pools, models
            counts = Counts()
            event.listen(runtime.engine, "before_cursor_execute", counts.statement)
            event.listen(runtime.engine, "begin", counts.begin)
            # CPU time, not waits
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            server = {"PostgreSQL": named("postgres")}
            server0 = snapshot(server)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for first in range(args.warmup, len(mails), 100):
                run_batch(runtime, mails[first:first + 100], first, args.batch)
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            pg_cpu = costs(server0, snapshot(server))[0].seconds
        finally:
            runtime.engine.dispose()
    n = args.mails
    total = sum(counts.statements.values())
    print(f"{n} complaints, worker batches of {args.batch}, PostgreSQL, SMTP answering at once")
    print(f"SQL statements per complaint: {total / n:.1f}   transactions per complaint: "
          f"{counts.transactions / n:.2f}")
    print(f"Python CPU per complaint (this process): {1000 * cpu / n:.2f} ms   "
          f"wall: {1000 * wall / n:.2f} ms")
    print(f"PostgreSQL CPU per complaint (all its processes): {1000 * pg_cpu / n:.2f} ms")
    print("\nstatements per complaint, by kind:")
    for kind, count in counts.statements.most_common(25):
        print(f"  {count / n:6.2f}  {kind}")
    if profiler and args.profile:
        profiler.dump_stats(str(args.profile))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print("\n" + out.getvalue())


if __name__ == "__main__":
    main()
