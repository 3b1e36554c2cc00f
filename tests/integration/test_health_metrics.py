"""/healthz, /metrics and `complaints status`: right across processes, no customer data."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from starlette.testclient import TestClient

from config.settings import Settings
from console.app import create_app
from pipeline.db.base import utcnow
from pipeline.db.models import OutboundMail
from pipeline.ops.counters import SWEEP_PREFIX, add_counts
from pipeline.ops.health import check_health
from pipeline.ops.polls import record_poll
from tests.support import mails
from tests.support.private_redis import PrivateRedis
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

CUSTOMER = "Zhao Lei"
CUSTOMER_ADDRESS = "zhao.lei@customer.example"


def _client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime.settings, factory=runtime.factory),
                      base_url="http://testserver")


def _ingest_some(runtime: Runtime) -> None:
    for n in range(3):
        ingest_bytes(runtime, mails.complaint(sender=f"{CUSTOMER} <{CUSTOMER_ADDRESS}>",
                                              subject=f"Broken kettle {n}"), name=f"{n}.eml")
    ingest_bytes(runtime, mails.complaint(headers={"Auto-Submitted": "auto-replied"}),
                 name="away.eml")


def test_healthz_turns_503_when_redis_stops_and_back_when_it_returns(tmp_path: Path) -> None:
    with PrivateRedis(tmp_path) as redis_server:
        settings = Settings(data_dir=tmp_path / "var", redis_url=redis_server.url)
        runtime = build_runtime(settings)
        record_poll(runtime.factory, settings.mailbox_name)  # as the folder poller does
        client = _client(runtime)

        healthy = client.get("/healthz")  # no login
        assert healthy.status_code == 200, healthy.text
        body = healthy.json()
        assert body["status"] == "ok" and body["redis"] == {"ok": True, "used": True}
        assert [m["name"] for m in body["mailboxes"]] == ["default: folder"]
        assert body["queues"] == {"intake": 0, "outbox": 0, "ocr": 0}

        redis_server.stop()
        down = client.get("/healthz")
        assert down.status_code == 503
        assert down.json()["redis"]["ok"] is False and down.json()["problems"] == ["redis"]

        redis_server.start()
        assert client.get("/healthz").status_code == 200
        runtime.engine.dispose()


def test_healthz_fails_on_a_stale_mailbox_and_old_unsent_mail(settings: Settings) -> None:
    runtime = build_runtime(settings)
    now = utcnow()
    assert check_health(runtime.factory, settings).problems == ["mailbox default: folder"]
    record_poll(runtime.factory, settings.mailbox_name, now=now - timedelta(minutes=10))
    assert not check_health(runtime.factory, settings, now=now).mailboxes[0].ok
    record_poll(runtime.factory, settings.mailbox_name, now=now)
    _ingest_some(runtime)
    assert check_health(runtime.factory, settings, now=now).ok
    with runtime.factory() as session, session.begin():  # the SMTP server went away an hour ago
        session.execute(update(OutboundMail).values(status="pending", sent_at=None,
                                                    created_at=now - timedelta(hours=1)))
    health = check_health(runtime.factory, settings, now=now)
    assert health.problems == ["unsent mail"] and health.queues["outbox"] == 3
    assert health.oldest_unsent_mail_seconds is not None
    assert health.oldest_unsent_mail_seconds >= 3600
    runtime.engine.dispose()


def test_metrics_parse_and_count_from_the_database(settings: Settings) -> None:
    runtime = build_runtime(settings)
    _ingest_some(runtime)
    add_counts(runtime.factory, {f"{SWEEP_PREFIX}outbound": 2})
    add_counts(runtime.factory, {f"{SWEEP_PREFIX}outbound": 1, f"{SWEEP_PREFIX}inbound": 0})
    response = _client(runtime).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}

    def value(family: str, sample: str, **labels: str) -> float:
        return next(s.value for s in families[family].samples
                    if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()))

    taken = "complaints_mail_taken_in"
    assert value(taken, taken + "_total", classification="complaint") == 3
    assert value(taken, taken + "_total", classification="automatic") == 1
    acks = "complaints_acknowledgments"
    assert value(acks, acks + "_total", outcome="sent") == 3
    assert value(acks, acks + "_total", outcome="failed") == 0
    assert value("complaints_queue_depth", "complaints_queue_depth", queue="outbox") == 0
    latency = "complaints_acknowledgment_latency_seconds"
    assert families[latency].type == "histogram"
    assert value(latency, latency + "_count") == 3
    assert value(latency, latency + "_bucket", le="+Inf") == 3
    buckets = [s.value for s in families[latency].samples if s.name == latency + "_bucket"]
    assert buckets == sorted(buckets)  # cumulative
    assert value("complaints_ocr_seconds", "complaints_ocr_seconds_count") == 0
    sweeps = "complaints_sweep_resends"
    assert value(sweeps, sweeps + "_total", kind="outbound") == 3
    assert CUSTOMER not in response.text and CUSTOMER_ADDRESS not in response.text
    health = _client(runtime).get("/healthz").text
    assert CUSTOMER not in health and CUSTOMER_ADDRESS not in health
    runtime.engine.dispose()


def test_complaints_status_prints_the_same(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    runtime = build_runtime(settings)
    _ingest_some(runtime)
    record_poll(runtime.factory, settings.mailbox_name)
    runtime.engine.dispose()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "COMPLAINTS_DATA_DIR": str(tmp_path / "var")}
    out = subprocess.run([sys.executable, "-m", "workers", "status", "--json"], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["status"] == "ok" and shown["queues"]["intake"] == 0
    assert shown["metrics"]['complaints_mail_taken_in_total{classification="complaint"}'] == 3
    text = subprocess.run([sys.executable, "-m", "workers", "status"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert text.returncode == 0 and "ok   database" in text.stdout
