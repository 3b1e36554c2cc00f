"""Case references such as CP-2026-000123: per-year, never reused."""

from __future__ import annotations

from sqlalchemy import Connection, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.db.models import ReferenceCounter


def next_reference(session: Session, *, prefix: str, year: int) -> str:
    """Take the next number for the year.

    On PostgreSQL the number is taken in its own short transaction: the counter row
    is locked only for that moment, not for the whole intake transaction, so workers
    creating cases at once do not queue behind each other. A number taken by an
    intake that then rolls back (a crash) is not given back: references may have
    gaps, but are never reused. SQLite has one writer at a time anyway, so there the
    number is taken inside the caller's transaction.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        engine = bind.engine if isinstance(bind, Connection) else bind
        with engine.connect() as conn:
            number = _take(conn, year)
            conn.commit()
    else:
        number = _take(session.connection(), year)
    return f"{prefix}-{year}-{number:06d}"


def _take(conn: Connection, year: int) -> int:
    number = _increment(conn, year)
    if number is not None:
        return number
    try:
        with conn.begin_nested():
            conn.execute(insert(ReferenceCounter).values(year=year, last_number=1))
        return 1
    except IntegrityError:
        # Another worker started the year first; take the next number after theirs.
        number = _increment(conn, year)
        assert number is not None
        return number


def _increment(conn: Connection, year: int) -> int | None:
    return conn.scalar(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    )
