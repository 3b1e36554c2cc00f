"""Admins' template versions, read by the letter renderer at render time.

``letters`` knows nothing of the database; it asks the source installed here. A
letter is rendered inside the transaction that queues it, so the source reads through
that transaction's own connection: a second connection would, on SQLite, wait for
the write lock the first one holds. Each thread keeps a stack of the sessions it has
in a transaction; only when there is none does the source open a short session.

Within one transaction the newest version of every template is read once, by one
query, and kept in the session until the transaction ends or saves a version: an
acknowledgment renders several templates, each asked for twice by Jinja (to load it
and to check it is up to date), and a worker renders a batch of them per transaction.
An admin's new version is still used from the next transaction on.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from letters.render import install_overrides
from pipeline.db.models import TemplateVersion

log = logging.getLogger(__name__)
T = TypeVar("T")
_local = threading.local()
_NEWEST = "template_versions_newest"  # session.info key of the per-transaction cache


def _stack() -> list[weakref.ref[Session]]:
    if not hasattr(_local, "sessions"):
        _local.sessions = []
    return _local.sessions  # type: ignore[no-any-return]


def _began(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if transaction.parent is None:  # a savepoint keeps what its transaction read
        session.info.pop(_NEWEST, None)
    _stack().append(weakref.ref(session))


def _flushed(session: Session, context: object) -> None:
    """A version saved in this transaction is what the rest of it renders."""
    if any(isinstance(row, TemplateVersion) for row in (*session.new, *session.dirty)):
        session.info.pop(_NEWEST, None)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_NEWEST, None)
        stack = _stack()
        stack[:] = [ref for ref in stack if ref() is not None and ref() is not session]


def _current() -> Session | None:
    for ref in reversed(_stack()):
        session = ref()
        if session is not None and session.in_transaction():
            return session
    return None


class DatabaseOverrides:
    """The ``letters.render.Overrides`` source backed by ``template_versions``."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def _read(self, query: Callable[[Connection], T], default: T) -> T:
        session = _current()
        try:
            if session is not None:
                return query(session.connection())
            with self.factory() as own, own.begin():
                return query(own.connection())
        except SQLAlchemyError as err:  # no table yet (before migrating): the files
            log.debug("template overrides not readable: %s", err)
            return default

    def latest_version(self, name: str) -> tuple[int, str] | None:
        session = _current()
        if session is None:
            return self._read(lambda conn: _newest(conn, name).get(name), None)
        newest = session.info.get(_NEWEST)
        if newest is None:
            newest = self._read(lambda conn: _newest(conn, None), None)
            if newest is None:  # not readable: the files, and ask again next time
                return None
            session.info[_NEWEST] = newest
        return newest.get(name)

    def body(self, name: str, version: int) -> str:
        def query(conn: Connection) -> str:
            return conn.scalar(select(TemplateVersion.body).where(
                TemplateVersion.name == name, TemplateVersion.version == version)) or ""
        return self._read(query, "")


def _newest(conn: Connection, name: str | None) -> dict[str, tuple[int, str]]:
    """The newest version number and time of each template (or of one) with versions."""
    top = select(TemplateVersion.name, func.max(TemplateVersion.version).label("version"))
    if name is not None:
        top = top.where(TemplateVersion.name == name)
    newest = top.group_by(TemplateVersion.name).subquery()
    rows = conn.execute(
        select(TemplateVersion.name, TemplateVersion.version, TemplateVersion.saved_at)
        .join(newest, (TemplateVersion.name == newest.c.name)
              & (TemplateVersion.version == newest.c.version)))
    return {row.name: (row.version, str(row.saved_at)) for row in rows}


def use_template_overrides(factory: sessionmaker[Session]) -> None:
    """Track this factory's sessions and let the renderer read overrides through them."""
    event.listen(factory, "after_begin", _began)
    event.listen(factory, "after_transaction_end", _ended)
    event.listen(factory, "after_flush", _flushed)
    install_overrides(DatabaseOverrides(factory))


