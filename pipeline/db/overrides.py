"""Admins' template versions, read by the letter renderer at render time.

``letters`` knows nothing of the database; it asks the source installed here. A
letter is rendered inside the transaction that queues it, so the source reads through
that transaction's own connection: a second connection would, on SQLite, wait for
the write lock the first one holds. Each thread keeps a stack of the sessions it has
in a transaction; only when there is none does the source open a short session.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from letters.render import install_overrides
from pipeline.db.models import TemplateVersion

log = logging.getLogger(__name__)
T = TypeVar("T")
_local = threading.local()


def _stack() -> list[weakref.ref[Session]]:
    if not hasattr(_local, "sessions"):
        _local.sessions = []
    return _local.sessions  # type: ignore[no-any-return]


def _began(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    _stack().append(weakref.ref(session))


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
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
        def query(conn: Connection) -> tuple[int, str] | None:
            row = conn.execute(select(TemplateVersion.version, TemplateVersion.saved_at)
                               .where(TemplateVersion.name == name)
                               .order_by(TemplateVersion.version.desc()).limit(1)).first()
            return None if row is None else (row[0], str(row[1]))
        return self._read(query, None)

    def body(self, name: str, version: int) -> str:
        def query(conn: Connection) -> str:
            return conn.scalar(select(TemplateVersion.body).where(
                TemplateVersion.name == name, TemplateVersion.version == version)) or ""
        return self._read(query, "")


def use_template_overrides(factory: sessionmaker[Session]) -> None:
    """Track this factory's sessions and let the renderer read overrides through them."""
    event.listen(factory, "after_begin", _began)
    event.listen(factory, "after_transaction_end", _ended)
    install_overrides(DatabaseOverrides(factory))


