"""Console latency with 200,000 cases in PostgreSQL: review queue, case page, search.

Seeds a fresh PostgreSQL database with COPY (mixed Chinese and English complaints,
5 % waiting for review, the rest routed or closed across the departments, each case
with its audit event and, for the cases under review, the original mail), then times
the console's pages in-process: each request goes through the whole ASGI app
(session lookup, role check, queries, template rendering) via Starlette's TestClient,
so the figure is server time without a network. Prints p50/p95 per page.

    .venv/bin/python bench/console_latency.py --cases 200000 --requests 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy.engine import make_url

from config.settings import Settings
from console.app import create_app
from pipeline.db.base import make_engine, make_session_factory
from pipeline.db.migrate import upgrade
from pipeline.staff.users import NewUser, add_user
from tests.support.console import PASSWORD, sign_in
from tests.support.services import fresh_postgres_database

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

DEPARTMENTS = ("production", "quality", "rnd", "sales", "logistics")
ZH_ITEMS = ["电饭煲", "洗衣机", "空调", "热水器", "吸尘器", "电水壶", "微波炉"]
ZH_PROBLEMS = ["外壳破损", "迟到了一周", "少了配件", "无法开机", "底部漏水", "快递送错了地址"]
ZH_ASKS = ["退款", "换货", "赔偿损失", "上门维修"]
ZH_NAMES = ["张伟", "李喆", "王芳", "陈堃", "刘洋", "赵敏", "孙丽"]
EN_ITEMS = ["kettle", "washing machine", "rice cooker", "vacuum cleaner", "blender", "toaster"]
EN_PROBLEMS = ["arrived broken", "was nine days late", "had parts missing", "leaks water",
               "was delivered to the wrong address"]
EN_ASKS = ["refund me", "send a replacement", "compensate me for the delay", "repair it"]
EN_NAMES = ["Jane Smith", "Tom Brown", "Alice Green", "Bob White", "Carol King", "Dan Ng"]
SEARCH_TERMS = {"zh": ["漏水", "外壳破损", "快递", "王芳", "热水器"],
                "en": ["leaks", "broken", "delivery", "Carol", "vacuum cleaner"]}


def _complaint(rng: random.Random, i: int) -> dict[str, object]:
    chinese = rng.random() < 0.6
    if chinese:
        name, item = rng.choice(ZH_NAMES), rng.choice(ZH_ITEMS)
        problem, ask = rng.choice(ZH_PROBLEMS), rng.choice(ZH_ASKS)
        subject = f"{item}{problem}"
        text = f"我在贵公司购买的{item}（订单号 JD-{20260000 + i}）{problem}，请尽快{ask}。"
        email = f"zh{i}@customer.example"
    else:
        name, item = rng.choice(EN_NAMES), rng.choice(EN_ITEMS)
        problem, ask = rng.choice(EN_PROBLEMS), rng.choice(EN_ASKS)
        subject = f"My {item} {problem}"
        text = f"I ordered a {item} (order AB-{10000000 + i}) and it {problem}. Please {ask}."
        email = f"en{i}@customer.example"
    return {"language": "zh" if chinese else "en", "name": name, "subject": subject,
            "text": text, "email": email}


def _mail(fields: dict[str, object], message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{fields['name']} <{fields['email']}>"
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = str(fields["subject"])
    msg["Message-ID"] = message_id
    msg.set_content(str(fields["text"]))
    return bytes(msg)


def seed(url: str, count: int, seed_value: int = 7) -> list[str]:
    """COPY ``count`` cases (+ events, + mails for those under review); returns new refs."""
    rng = random.Random(seed_value)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    new_refs: list[str] = []
    mails: list[tuple[int, dict[str, object], datetime]] = []
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        columns = ("id, reference, status, channel, language, received_at, customer_name, "
                   "customer_address, customer_email, customer_phone, email_undeliverable, "
                   "subject, what_happened, demands, order_numbers, phone_candidates, taken_by, "
                   "source_message_id, forwarded_by, attention, created_at, updated_at, "
                   "department, responsibility")
        with cur.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
            for i in range(1, count + 1):
                fields = _complaint(rng, i)
                at = start + timedelta(seconds=i * 150)
                new = i > count - count // 20
                status = "new" if new else rng.choice(("routed", "routed", "closed"))
                reference = f"CP-{at.year}-{i:07d}"
                message_id = f"<c{i}@customer.example>"
                if new:
                    new_refs.append(reference)
                    mails.append((i, fields, at))
                copy.write_row((
                    i, reference, status, "email", fields["language"], at, fields["name"], "",
                    fields["email"], "" if rng.random() < 0.3 else "+8613800138000", False,
                    fields["subject"], fields["text"], '["refund"]', "[]", "[]", "system",
                    message_id, "", "", at, at, None if new else rng.choice(DEPARTMENTS),
                    "" if new else "ours"))
        with cur.copy("COPY case_events (case_id, at, actor, action, detail) FROM STDIN") as copy:
            for i in range(1, count + 1):
                at = start + timedelta(seconds=i * 150)
                copy.write_row((i, at, "system", "received", '{"channel": "email"}'))
        with cur.copy("COPY inbound_mail (sha256, raw, size, message_id, received_at, source, "
                      "status, classification, detail, quarantine_reason, defects, case_id, "
                      "from_address, subject, attempts, last_error) FROM STDIN") as copy:
            for i, fields, at in mails:
                raw = _mail(fields, f"<c{i}@customer.example>")
                copy.write_row((f"{i:064x}", raw, len(raw), f"<c{i}@customer.example>", at,
                                "bench", "processed", "complaint", "", "", "[]", i,
                                fields["email"], fields["subject"], 1, ""))
        cur.execute("SELECT setval('cases_id_seq', %s)", (count,))
        conn.commit()
        cur.execute("ANALYZE")
    return new_refs


def _customer(rng: random.Random, count: int) -> str:
    """What staff type to find a customer: a full address, a name, or a phone fragment."""
    i = rng.randint(1, count)
    return rng.choice([f"zh{i}@customer.example", f"en{i}@customer.example", "王芳",
                       "Carol King", "13800138000"])


def timed(client: TestClient, paths: list[str]) -> list[float]:
    """Milliseconds per request, each one checked to have succeeded."""
    times = []
    for path in paths:
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return times


def report(name: str, times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    verdict = "ok" if p95 <= 150 else "OVER GOAL"
    print(f"{name:<28} n={len(times):<4} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({verdict})")
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()
    rng = random.Random(11)
    with fresh_postgres_database() as url:
        upgrade(url)
        began = time.perf_counter()
        new_refs = seed(url, args.cases)
        print(f"Seeded {args.cases:,} cases in {time.perf_counter() - began:.1f} s "
              f"({len(new_refs):,} waiting for review).")
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as session, session.begin():
            add_user(session, NewUser("bench", PASSWORD, "intake"),
                     department_keys=set(DEPARTMENTS))
        settings = Settings(database_url=url, data_dir=Path("var/bench-console"))
        app = create_app(settings, factory=factory)
        client = TestClient(app)
        sign_in(client, "bench")
        began = time.perf_counter()
        timed(client, [f"/cases/{new_refs[0]}"])  # starts training the classifier
        app.state.console.models.wait(timeout=3600)
        print(f"Suggestion classifier trained in the background on the routed cases in "
              f"{time.perf_counter() - began:.1f} s (pages used keyword rules meanwhile)")
        pages: dict[str, Callable[[], str]] = {
            "review queue (page 1-20)": lambda: f"/queue?page={rng.randint(1, 20)}",
            "case page": lambda: f"/cases/{rng.choice(new_refs)}",
            "search, Chinese term": lambda: f"/search?q={rng.choice(SEARCH_TERMS['zh'])}",
            "search, English term": lambda: f"/search?q={rng.choice(SEARCH_TERMS['en'])}",
            "search, customer + status": lambda: (
                f"/search?customer={_customer(rng, args.cases)}&status=routed"),
            "search, order number (rare)": lambda: (
                f"/search?q=JD-{20260000 + rng.randint(1, args.cases)}"),
            "search, reference": lambda: f"/search?reference={rng.randint(1, args.cases):07d}",
        }
        for name, make in pages.items():
            timed(client, [make() for _ in range(10)])  # warm-up
            report(name, timed(client, [make() for _ in range(args.requests)]))
        engine.dispose()


if __name__ == "__main__":
    main()
