"""Benchmark: the yearly complaint statistics over 1,000,000 cases in PostgreSQL.

Seeds a fresh database with N cases spread over 2026 (with departments, channels,
categories, products, approved resolutions with amounts, deadlines, acknowledgments
and satisfaction answers) using set-based SQL, then times what `complaints report`
does for the year: every summary figure, the chart data, recurring problems by
product and category, and the PDF. Also times the full-table CSV export. The seeding
bypasses the application, so the case facts are then built the way migration 0006
backfills them, and the daily figures counted as the scheduler's first pass does.

    .venv/bin/python bench/report_year.py --cases 1000000
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
from pipeline.db.base import make_engine, make_session_factory  # noqa: E402
from pipeline.db.facts import rebuild_all_facts  # noqa: E402
from pipeline.db.migrate import upgrade  # noqa: E402
from pipeline.reports.build import build_report, recurring_problems  # noqa: E402
from pipeline.reports.days import refresh_daily_figures  # noqa: E402
from pipeline.reports.periods import parse_period  # noqa: E402
from pipeline.reports.statistics import gather  # noqa: E402
from tests.support.services import fresh_postgres_database  # noqa: E402

SEED = [
    """
    INSERT INTO cases (reference, status, channel, language, received_at, customer_name,
      customer_address, customer_email, customer_phone, email_undeliverable, subject,
      what_happened, demands, order_numbers, phone_candidates, taken_by, forwarded_by,
      attention, created_at, updated_at, responsibility, third_party, department, category,
      severity, product, quantity, agreement_via, closed_at, reopen_count)
    SELECT 'CP-2026-' || lpad(g::text, 7, '0'),
      CASE WHEN g % 10 < 7 THEN 'closed' ELSE 'routed' END,
      (ARRAY['email','letter','phone'])[1 + g % 3], CASE WHEN g % 3 = 0 THEN 'en' ELSE 'zh' END,
      t.received, '客户 ' || g, '', 'c' || g || '@customer.example', '', false,
      (ARRAY['电水壶漏水','快递延误','发票错误','屏幕坏点','Parcel late','Kettle leaks',
             'Wrong item','App crashes'])[1 + g % 8],
      '投诉内容 complaint text ' || g, '[]', '[]', '[]', 'system', '', '', t.received,
      t.received, 'ours', '',
      (ARRAY['production','quality','rnd','sales','logistics'])[1 + g % 5],
      (ARRAY['quality','logistics','billing','service'])[1 + g % 4], 'normal',
      'P-' || (g % 200), 1 + g % 3, '',
      CASE WHEN g % 10 < 7 THEN t.received + ((1 + g % 20) || ' days')::interval END, 0
    FROM generate_series(1, :n) AS g,
      LATERAL (SELECT timestamptz '2026-01-01 00:00+08'
               + (g::float / :n * 364.9) * interval '1 day' AS received) AS t
    """,
    """
    INSERT INTO resolutions (case_id, version, status, findings, method, loss_amount,
      compensation_amount, next_steps, contact_person, answers, needs_approval, proposed_by,
      proposed_at, decided_by, decided_at, decision_note)
    SELECT id, 1, 'approved', 'findings',
      (ARRAY['compensation','return','discount','replacement','repair','apology',
             'explanation','other'])[1 + id % 8],
      (id % 500)::numeric, (id % 300)::numeric, '', '', '[]', false, 'handler', received_at,
      'boss', received_at, ''
    FROM cases WHERE status = 'closed'
    """,
    """
    INSERT INTO case_deadlines (case_id, due_at, remind_at, working_days, set_by, set_at,
      reason, changes)
    SELECT id, received_at + interval '14 days', received_at + interval '13 days', 10, 'alice',
      received_at, '', 0 FROM cases
    """,
    """
    INSERT INTO follow_ups (case_id, due_at, sent_at, cancelled_reason, score, comment,
      answered_at, answered_via)
    SELECT id, closed_at + interval '7 days', closed_at + interval '7 days', '', 1 + id % 5, '',
      closed_at + interval '8 days', 'link'
    FROM cases WHERE status = 'closed' AND id % 3 = 0
    """,
    """
    INSERT INTO outbound_mail (case_id, kind, dedupe_key, message_id, to_address, subject, raw,
      auto_reply, status, attempts, last_error, created_at, sent_at)
    SELECT id, 'acknowledgment', '', '<ack' || id || '@shop.example>', customer_email,
      'ack', '\\x00'::bytea, true, 'sent', 1, '', received_at,
      received_at + ((1 + id % 60) || ' seconds')::interval
    FROM cases
    """,
]


def seed(url: str, cases: int) -> float:
    started = time.perf_counter()
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in SEED:
            conn.execute(text(statement), {"n": cases})
    engine.dispose()
    return time.perf_counter() - started


def build_facts(url: str) -> float:
    """What the migration's backfill does: every case's facts row, from its rows."""
    started = time.perf_counter()
    engine = make_engine(url)
    with make_session_factory(engine)() as session, session.begin():
        rebuild_all_facts(session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def timed(label: str, action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.2f} s ({result})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        upgrade(url)
        print(f"machine: {platform.machine()}, Python {platform.python_version()}, PostgreSQL")
        print(f"seeded {args.cases:,} cases in {seed(url, args.cases):.0f} s")
        print(f"built their case facts in {build_facts(url):.0f} s")
        settings = Settings(database_url=url, data_dir=Path(tmp))
        engine = make_engine(url)
        factory = make_session_factory(engine)
        year = parse_period("2026", settings.time_zone)

        def recount() -> str:
            with factory() as session, session.begin():
                return f"{refresh_daily_figures(session, settings.time_zone)} days"

        timed("daily figures counted from nothing (once, after the upgrade)", recount)
        with factory() as session:
            figures = gather(session, year)
            timed("figures for 2026 (summary, charts, recurring problems)",
                  lambda: f"{gather(session, year).summary.cases:,} cases, "
                  f"{len(recurring_problems(session, year, figures))} recurring problems")
            pdf = Path(tmp) / "report-2026.pdf"
            total = timed("yearly report, PDF (summary, charts, recurring, first 500 rows)",
                          lambda: build_report(session, settings=settings, period=year,
                                               fmt="pdf", out=pdf))
            session.rollback()
        with factory() as session, session.begin():  # a week of changes not yet recounted
            session.execute(text("INSERT INTO stale_marks (utc_day) SELECT d::date "
                                 "FROM generate_series(date '2026-06-01', date '2026-06-07', "
                                 "interval '1 day') AS d"))
        with factory() as session:
            timed("yearly report, PDF, after a week of changes the scheduler has not counted",
                  lambda: build_report(session, settings=settings, period=year, fmt="pdf",
                                       out=pdf))
            session.rollback()
            timed("full table as CSV", lambda: build_report(
                session, settings=settings, period=year, fmt="csv",
                out=Path(tmp) / "report-2026.csv"))
        engine.dispose()
        print(f"goal: yearly report ≤ 10 s — {'met' if total <= 10 else 'NOT met'} ({total:.2f} s)")


if __name__ == "__main__":
    main()
