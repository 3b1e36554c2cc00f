"""Declarative base and the engine/session factory.

Engines are built by the entry points from settings, never at import time.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

from pipeline.db.statement_cache import keep_batch_translations

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How long a connection keeps trying to switch a new SQLite file to WAL mode while
# another process does the same; as long as the busy timeout given to sqlite3.
WAL_SWITCH_PATIENCE = 30.0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware UTC datetimes on every backend; SQLite would otherwise drop the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """Create an engine tuned for the backend: WAL and a busy timeout for SQLite."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": WAL_SWITCH_PATIENCE, "check_same_thread": False},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # No pre-ping: it costs a round trip per checkout on the hot path. A connection the
    # server dropped fails one job, SQLAlchemy then discards the whole pool, and the
    # idempotent job is retried.
    # hide_parameters: errors would otherwise quote raw mail bytes and personal data.
    keep_batch_translations()
    return create_engine(
        url, pool_recycle=1800, pool_size=10, max_overflow=20, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    # Let pysqlite leave transaction control to SQLAlchemy's "begin" hook below.
    dbapi_conn.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    _use_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten rows are zeroed in the file, so erased personal data
    # does not linger in free pages (see pipeline/privacy/erase.py).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _use_wal(cursor: Any, patience: float = WAL_SWITCH_PATIENCE) -> None:
    """Put the database in WAL mode once, whoever opens it first.

    The mode is kept in the file, so every later connection only reads it. Switching
    needs the exclusive lock, and when two processes open a new database at the same
    moment (``complaints demo`` and a ``complaints cases list`` beside it) SQLite answers
    one of them "database is locked" at once rather than wait, to avoid a deadlock
    between two readers that both want to write: that one tries again shortly.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin_immediate(conn: object) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two threads never deadlock
    # upgrading read locks; the busy timeout then queues writers in order.
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def insert_for(dialect: str) -> Any:
    """The dialect's ``insert`` construct, the one with ``on_conflict_do_*`` (upserts).

    Both supported databases spell upserts ``INSERT … ON CONFLICT``; SQLAlchemy keeps
    the construct per dialect.
    """
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def make_session_factory(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    """Sessions for the application: they keep the statistics' case facts current, and
    letters rendered in them use the admins' template versions."""
    from pipeline.db.facts import keep_facts_current  # the models import this module
    from pipeline.db.overrides import use_template_overrides

    factory = sessionmaker(engine, expire_on_commit=False)
    keep_facts_current(factory)
    use_template_overrides(factory)  # admins' letter templates, read at render time
    return factory


def include_for_dialect(dialect: str):  # type: ignore[no-untyped-def]
    """An Alembic ``include_object`` that leaves out indexes meant for other databases.

    Indexes declared with ``.ddl_if(dialect=...)`` (PostgreSQL trigram indexes) exist
    only there; without this, comparing the models with a SQLite database would report
    them missing.
    """

    def include(obj: object, name: str | None, type_: str, reflected: bool,
                compare_to: object) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        if type_ != "index" or reflected or condition is None or not condition.dialect:
            return True
        wanted = condition.dialect
        return dialect in ((wanted,) if isinstance(wanted, str) else tuple(wanted))

    return include
