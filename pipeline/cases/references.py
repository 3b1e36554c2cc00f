"""Case references such as CP-2026-000123: per-year, never reused."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.db.models import ReferenceCounter


def next_reference(session: Session, *, prefix: str, year: int) -> str:
    """Take the next number for the year inside the caller's transaction.

    The UPDATE takes a row lock on PostgreSQL (and the write lock on SQLite), so two
    workers creating cases at once get different numbers; a rolled-back transaction
    gives its number back, so references have no gaps in normal operation.
    """
    number = _increment(session, year)
    if number is None:
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(year=year, last_number=1))
            number = 1
        except IntegrityError:
            # Another worker started the year first; take the next number after theirs.
            number = _increment(session, year)
    assert number is not None
    return f"{prefix}-{year}-{number:06d}"


def _increment(session: Session, year: int) -> int | None:
    return session.scalar(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    )
