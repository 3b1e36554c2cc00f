"""Opening a new SQLite database from several processes at once, as ``complaints demo``
and a command beside it do: nobody is told "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.db.base import _use_wal, make_engine


def test_connections_opening_a_new_database_together_all_get_it_in_wal_mode(
    tmp_path: Path,
) -> None:
    # Without the retry, about one trial in ten had a connection refused (CI, stop 21).
    for trial in range(40):
        errors, modes = open_together(f"sqlite:///{tmp_path}/new-{trial}.db", connections=6)
        assert errors == [], f"trial {trial}: {errors[0]}"
        assert modes == ["wal"] * 6


def open_together(url: str, connections: int) -> tuple[list[Exception], list[str]]:
    """Open ``connections`` engines on ``url`` at the same moment; their errors and modes."""
    barrier = threading.Barrier(connections)
    errors: list[Exception] = []
    modes: list[str] = []

    def open_it() -> None:
        engine = make_engine(url)
        barrier.wait(timeout=30)
        try:
            with engine.connect() as connection:
                modes.append(connection.execute(text("PRAGMA journal_mode")).scalar_one())
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=open_it) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors, modes


class _LockedCursor:
    """A cursor whose first ``failures`` statements find the database locked."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.statements: list[str] = []

    def execute(self, sql: str) -> _LockedCursor:
        self.statements.append(sql)
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return self

    def fetchone(self) -> tuple[str]:
        return ("delete",)


def test_the_switch_to_wal_is_tried_again_while_the_database_is_locked() -> None:
    cursor = _LockedCursor(failures=2)
    _use_wal(cursor, patience=30)
    assert cursor.statements[-2:] == ["PRAGMA journal_mode", "PRAGMA journal_mode=WAL"]


def test_a_database_locked_for_longer_than_the_patience_is_reported() -> None:
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _use_wal(_LockedCursor(failures=10**6), patience=0.1)


def test_other_errors_are_not_retried() -> None:
    class Broken(_LockedCursor):
        def execute(self, sql: str) -> _LockedCursor:
            raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk"):
        _use_wal(Broken(0), patience=30)
