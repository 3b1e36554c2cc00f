"""Alembic environment: the URL comes from the caller (``complaints migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pipeline.db import models  # noqa: F401 - registers the tables on Base.metadata
from pipeline.db.base import Base, include_for_dialect, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
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
