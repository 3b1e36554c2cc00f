"""Shared fixtures: settings in a temp data dir, databases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from pipeline.db.migrate import upgrade
from tests.support.dovecot import DovecotServer, require_dovecot
from tests.support.services import fresh_postgres_database, require_redis, truncate_all
from tests.support.smtp_sink import SmtpSink
from workers.app import build_runtime
from workers.runtime import Runtime


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their settings explicitly; a developer's COMPLAINTS_* must not leak in."""
    import os

    for key in list(os.environ):
        if key.startswith("COMPLAINTS_") and not key.startswith("COMPLAINTS_TEST_"):
            monkeypatch.delenv(key)


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    """A fresh Dovecot with an empty INBOX for each test."""
    require_dovecot()
    with DovecotServer() as server:
        yield server


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The application wired for ``settings`` (SQLite, then PostgreSQL), torn down after.

    A test module that needs data first overrides it with a fixture of the same name
    that takes this one.
    """
    built = build_runtime(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) that keeps what it is sent."""
    with SmtpSink() as server:
        yield server


@pytest.fixture
def prod_settings(postgres_url: str, tmp_path: Path, sink: SmtpSink) -> Settings:
    """Production mode: PostgreSQL, Redis as the queue, SMTP to the sink."""
    redis_url = require_redis()
    truncate_all(postgres_url)
    return Settings(
        data_dir=tmp_path / "var",
        database_url=postgres_url,
        redis_url=redis_url,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_starttls=False,
        from_address="complaints@shop.example",
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Embedded-mode settings on SQLite, and the same on a clean PostgreSQL database."""
    overrides: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "from_address": "complaints@shop.example",
        "claim_seconds": 3.0,
        "sweep_seconds": 1.0,
    }
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        overrides["database_url"] = url
        truncate_all(url)
    yield Settings(**overrides)  # type: ignore[arg-type]


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        from_address="complaints@shop.example",
        claim_seconds=3.0,
        sweep_seconds=1.0,
    )
