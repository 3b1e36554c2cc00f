"""Alembic environment: the URL comes from the caller (``complaints migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pipeline.db import models  # noqa: F401 - registers the tables on Base.metadata
from pipeline.db.base import Base, include_for_dialect, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite" and not connection.in_transaction():
        _sqlite_foreign_keys(connection, on=False)
        try:
            _migrate(connection)
        finally:
            _sqlite_foreign_keys(connection, on=True)
        return
    _migrate(connection)


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """SQLite changes a column by copying its table; with foreign keys enforced, dropping
    the old copy fails while other tables point at it (Alembic's documented recipe is
    to switch them off around the migration). The pragma only works outside a
    transaction, so it goes straight to the driver, which is in autocommit mode here."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_for_dialect(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
