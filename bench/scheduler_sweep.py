"""Benchmark: one scheduler pass over 100,000 open cases in PostgreSQL.

Seeds N open (routed) cases with deadlines, of which about 1 % are due for a reminder,
1 % overdue, and N/100 closed cases whose satisfaction survey is due, then times one
``run_timed_work`` pass (the due-work queries plus doing each item in its own
transaction, queuing its mail) and a second pass, which must find nothing to do.

    .venv/bin/python bench/scheduler_sweep.py --cases 100000
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from config.settings import Settings  # noqa: E402
from pipeline.db.base import make_engine  # noqa: E402
from pipeline.db.migrate import upgrade  # noqa: E402
from tests.support.services import fresh_postgres_database  # noqa: E402
from workers.app import build_runtime  # noqa: E402
from workers.scheduler import run_timed_work  # noqa: E402

SEED = [
    """
    INSERT INTO cases (reference, status, channel, language, received_at, customer_name,
      customer_address, customer_email, customer_phone, email_undeliverable, subject,
      what_happened, demands, order_numbers, phone_candidates, taken_by, forwarded_by,
      attention, created_at, updated_at, responsibility, third_party, department, category,
      severity, product, agreement_via, closed_at, reopen_count)
    SELECT 'CP-2026-' || lpad(g::text, 7, '0'),
      CASE WHEN g <= :n THEN 'routed' ELSE 'closed' END, 'email', 'zh',
      now() - interval '3 days', '客户 ' || g, '', 'c' || g || '@customer.example', '', false,
      '电水壶漏水', 'text', '[]', '[]', '[]', 'system', '', '', now(), now(), 'ours', '',
      (ARRAY['production','quality','rnd','sales','logistics'])[1 + g % 5], '', 'normal', '',
      '', CASE WHEN g > :n THEN now() - interval '8 days' END, 0
    FROM generate_series(1, :n + :n / 100) AS g
    """,
    """
    INSERT INTO case_deadlines (case_id, due_at, remind_at, working_days, set_by, set_at,
      reason, changes)
    SELECT id,
      CASE WHEN id % 100 = 0 THEN now() - interval '1 hour' ELSE now() + interval '5 days' END,
      CASE WHEN id % 100 IN (0, 1) THEN now() - interval '2 hours'
           ELSE now() + interval '4 days' END,
      5, 'alice', now(), '', 0
    FROM cases WHERE status = 'routed'
    """,
    """
    INSERT INTO case_deadlines (case_id, due_at, remind_at, working_days, set_by, set_at,
      reason, changes)
    SELECT id, now() + interval '1 day', now(), 5, 'alice', now(), '', 0
    FROM cases WHERE status = 'routed' AND id % 100 = 1
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO follow_ups (case_id, due_at, cancelled_reason, comment, answered_via)
    SELECT id, closed_at + interval '7 days', '', '', '' FROM cases WHERE status = 'closed'
    """,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in SEED:
                conn.execute(text(statement), {"n": args.cases})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        print(f"machine: {platform.machine()}, Python {platform.python_version()}, PostgreSQL")
        print(f"seeded {args.cases:,} open cases (+{args.cases // 100:,} closed) "
              f"in {time.perf_counter() - started:.0f} s")
        settings = Settings(database_url=url, data_dir=Path(tmp),
                            supervisor_address="supervisors@shop.example")
        runtime = build_runtime(settings)
        for label in ("first pass", "second pass (nothing left to do)"):
            started = time.perf_counter()
            report = run_timed_work(runtime)
            elapsed = time.perf_counter() - started
            print(f"{label}: {elapsed:.2f} s — reminded {len(report.reminded):,}, "
                  f"escalated {len(report.escalated):,}, surveys {len(report.surveyed):,}, "
                  f"failed {len(report.failed)}")
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
