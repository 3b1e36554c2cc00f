"""Real-service helpers: skip on a laptop without the service, fail in CI."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "COMPLAINTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _redis_test_url() -> str:
    """Database 15 of the shared Redis, one lower for each further pytest-xdist worker.

    Each test flushes its database; two workers flushing one would drop each other's jobs.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = 15 - int(worker.removeprefix("gw") or 0) % 8
    return os.environ.get("COMPLAINTS_TEST_REDIS", f"redis://127.0.0.1:6379/{index}")


REDIS_URL = _redis_test_url()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    """Skip the test here, but fail it in CI, where every real service must be present."""
    if in_ci():
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database for a test session and drop it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL at 127.0.0.1:5432")
    name = f"complaints_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def require_redis() -> str:
    """A Redis URL on a test database index, flushed clean."""
    import redis

    if not port_open("127.0.0.1", 6379):
        unavailable("Redis at 127.0.0.1:6379")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


def truncate_all(url: str) -> None:
    """Empty every table of a PostgreSQL test database between tests."""
    from sqlalchemy import text

    from pipeline.db.base import Base, make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # Case numbers start again at 1, as the emptied counter table would have them.
        for (name,) in conn.execute(text(
            "SELECT sequencename FROM pg_sequences WHERE sequencename LIKE 'case\\_reference\\_%'"
        )):
            conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))
    engine.dispose()


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a ``complaints`` subprocess these settings.

    The caller's own ``COMPLAINTS_*`` variables are dropped, so a developer's shell
    never leaks into a test; ``extra`` adds or overrides variables.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env.update(
        COMPLAINTS_DATA_DIR=str(settings.data_dir),
        COMPLAINTS_DATABASE_URL=settings.database_url,
        COMPLAINTS_REDIS_URL=settings.redis_url,
        COMPLAINTS_SMTP_HOST=settings.smtp_host,
        COMPLAINTS_SMTP_PORT=str(settings.smtp_port),
        COMPLAINTS_SMTP_STARTTLS="true" if settings.smtp_starttls else "false",
        COMPLAINTS_FROM_ADDRESS=settings.from_address,
        COMPLAINTS_CLAIM_SECONDS=str(settings.claim_seconds),
        COMPLAINTS_WORKER_THREADS=str(settings.worker_threads),
        COMPLAINTS_ACK_LIMIT_PER_HOUR=str(settings.ack_limit_per_hour),
        COMPLAINTS_LOG_LEVEL="WARNING",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        **extra,
    )
    return env
