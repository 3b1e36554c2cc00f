"""Primary keys taken from their sequence before the row is written.

A new case's events, correspondence and acknowledgment point at the case's id, and the
acknowledgment's correspondence at the outbox row's. Flushing each parent to learn its
id cost a unit-of-work pass and a round trip per row, several times per complaint. On
PostgreSQL the id is taken from the column's own sequence instead (one ``nextval``, no
flush): the new rows then wait for the transaction's next flush, which writes each
table's rows in one statement. SQLite, the embedded runtime, has no sequences: there
the row is flushed to get its id, as before.
"""

from __future__ import annotations

import weakref
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session


class HasId(Protocol):
    """A mapped row whose integer primary key is ``id``."""

    __tablename__: str
    id: int


_NAMES: weakref.WeakKeyDictionary[Engine, dict[str, str]] = weakref.WeakKeyDictionary()


def give_id(session: Session, row: HasId) -> int:
    """Give ``row`` (added to ``session``) its id, without flushing on PostgreSQL."""
    session.add(row)
    if row.id is not None:
        return row.id
    spare = session.info.get(_SPARE, {}).pop(row.__tablename__, None)
    if spare is not None:
        row.id = spare
        return row.id
    connection = session.connection()  # the session's transaction; no autoflush
    if connection.dialect.name != "postgresql":
        session.flush()
        return row.id
    name = id_sequence(connection, row.__tablename__)
    row.id = int(connection.execute(_NEXTVAL, {"sequence": name}).scalar_one())
    return row.id


def keep_spare_id(session: Session, table: str, value: int) -> None:
    """Keep an id taken from ``table``'s sequence for the next row :func:`give_id` gets.

    A caller that already makes a round trip for one sequence can take the next row's
    id in the same SELECT (a new case takes its acknowledgment's). An id never used is
    a gap in the sequence, as a rolled-back INSERT leaves one: nothing else. One spare
    per table, the latest: ids then still follow the order rows were created in.
    """
    session.info.setdefault(_SPARE, {})[table] = value


_SPARE = "spare_ids"

# Plain SQL: building and keying an expression per row cost more than the round trip.
_NEXTVAL = text("SELECT nextval(:sequence)")


def id_sequence(connection: Connection, table: str) -> str:
    """The name of the sequence behind ``table.id``, looked up once per database (two
    threads looking it up at once both find the same name)."""
    known = _NAMES.setdefault(connection.engine, {})
    if table not in known:
        name = connection.scalar(text("SELECT pg_get_serial_sequence(:table, 'id')"),
                                 {"table": table})
        if not name:
            raise LookupError(f"{table}.id has no sequence")
        known[table] = str(name)
    return known[table]
