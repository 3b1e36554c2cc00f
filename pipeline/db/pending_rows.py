"""Rows a transaction writes without ORM objects: the trail's events and a new case's
correspondence, several per complaint, written in one statement per table.

An ORM object costs about a tenth of a millisecond from its construction to its
INSERT (instrumented attributes, the unit of work's sort, its parameters); the same
row as a dict in one ``executemany`` per table costs a fraction of that. The rows are
kept in the session until it writes them:

* after each flush, behind the ORM's rows of that flush (their foreign keys point at
  the cases and mails the flush inserts);
* before any statement run through the session while autoflush is on, as autoflush
  would write pending objects, so a query sees them;
* at the latest before the transaction commits.

They are written in the order they were added, table by table. A rolled-back
transaction drops them. A savepoint first writes those kept before it (outside it:
its rollback must not take them back); inside it a row goes through the ORM, whose
rollback takes it back with the savepoint.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, event, insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from pipeline.db.base import Base

_ROWS = "pending_rows"


def add_row(session: Session, model: type[Base], **values: Any) -> None:
    """Write a row of ``model`` with the session's next flush (see the module)."""
    if session.in_nested_transaction():
        session.add(model(**values))
        return
    session.info.setdefault(_ROWS, []).append((model, values))


def write_pending(session: Session, connection: Connection | None = None) -> None:
    """Write the rows kept so far: one statement per table and set of columns."""
    pending: list[tuple[type[Base], dict[str, Any]]] | None = session.info.pop(_ROWS, None)
    if not pending:
        return
    groups: dict[tuple[type[Base], tuple[str, ...]], list[dict[str, Any]]] = {}
    for model, values in pending:
        groups.setdefault((model, tuple(values)), []).append(values)
    connection = connection or session.connection()
    for (model, _), rows in groups.items():
        connection.execute(_insert(model), rows)


@cache
def _insert(model: type[Base]) -> Insert:
    return insert(model)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    """Autoflush runs after this hook and writes the rows after its own (the flush hook
    above); a session with nothing to flush writes them here."""
    session = state.session
    if (session.autoflush and session.info.get(_ROWS)
            and not (session.new or session.deleted or session.dirty)):
        write_pending(session)


@event.listens_for(Session, "after_transaction_create")
def _before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """A savepoint is emitted when it first needs the connection: the rows kept before
    it go out first, on the enclosing transaction's connection."""
    if transaction.nested and transaction.parent is not None and session.info.get(_ROWS):
        write_pending(session, transaction.parent.connection(None))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """The commit's own flush comes after this hook: flush first, so the rows the kept
    ones point at are written before them."""
    if not session.in_nested_transaction() and session.info.get(_ROWS):
        session.flush()
        write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written already) or rolled back
        session.info.pop(_ROWS, None)
