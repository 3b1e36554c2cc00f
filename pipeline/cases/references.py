"""Case references such as CP-2026-000123: per-year, never reused.

On PostgreSQL each year's numbers come from a sequence, ``case_reference_<year>``.
``nextval`` takes no lock and is never rolled back, so it runs inside the intake
transaction: no second transaction per case (an earlier version kept a counter row,
which had to be updated in its own short transaction so that workers did not queue
behind each other's intake, one commit more per complaint). A number taken by an
intake that then rolls back is not given back: references may have gaps, but are
never reused.

SQLite has one writer at a time anyway: there the counter row in
``reference_counters`` is updated inside the caller's transaction. The first time a
PostgreSQL database needs a year's sequence, it is created starting after that
year's counter row, so a database upgraded mid-year goes on where it stood.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.db.ids import id_sequence, keep_spare_id
from pipeline.db.models import Case, ReferenceCounter

SEQUENCE_LOCK_CLASS = 7102
"""First key of the advisory lock that serialises creating a year's sequence."""

_READY: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()
"""Years whose sequence this process has seen exist, per database engine."""


def next_reference(session: Session, *, prefix: str, year: int) -> str:
    """Take the next number for the year, in the caller's transaction."""
    connection = session.connection()  # a session query would flush pending rows first
    if connection.dialect.name == "postgresql":
        (number,), _ = _next_in_sequence(connection, year)
    else:
        number = _take(connection, year)
    return _reference(prefix, year, number)


def number_case(session: Session, case: Case, *, prefix: str, year: int,
                along: Along | None = None, guard: Guard | None = None
                ) -> tuple[Any, ...] | None:
    """Give a new case its reference and, on PostgreSQL, its id (and a spare id for its
    acknowledgment): one round trip for all.

    With its id known the case needs no flush before its events and letters are added
    (see ``pipeline.db.ids``). ``along`` adds what the caller asks next to the same
    SELECT (the acknowledgment's limits): its answers are returned, or None where there
    is no such round trip (SQLite), and the caller asks itself. ``guard`` makes the
    numbers conditional, in the same SELECT (a mail's claim on its Message-ID): when
    its condition does not hold, no number is taken (references keep no gap for it),
    the case is left unnumbered and :class:`Refused` carries the guard's answers.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        if guard is not None:
            raise ValueError("a guarded numbering is for PostgreSQL only")
        case.reference = next_reference(session, prefix=prefix, year=year)
        return None
    # A new case is nearly always acknowledged: its mail's id comes in the same SELECT.
    asked = _Asked.of(along, guard)
    numbers, asked_answers = _next_in_sequence(
        connection, year, id_sequence(connection, "cases"),
        id_sequence(connection, "outbound_mail"), along=asked)
    answers, guarded = asked_answers[:asked.along], asked_answers[asked.along:]
    if numbers[0] is None:
        raise Refused(guarded)
    number, case.id, mail_id = numbers
    keep_spare_id(session, "outbound_mail", mail_id)
    case.reference = _reference(prefix, year, number)
    return tuple(answers) if along is not None else None


class Along(Protocol):
    """Scalar queries to answer in the numbers' SELECT, and their parameters."""

    @property
    def columns(self) -> tuple[Any, ...]: ...

    @property
    def params(self) -> dict[str, Any]: ...


class Guard(Along, Protocol):
    """An :class:`Along` whose ``condition`` (SQL) must hold for numbers to be taken."""

    @property
    def condition(self) -> Any: ...


class Refused(Exception):
    """The guard's condition did not hold: no number was taken; ``answers`` are its
    columns' values."""

    def __init__(self, answers: tuple[Any, ...]) -> None:
        super().__init__("the numbers' guard did not hold")
        self.answers = answers


@dataclass(frozen=True)
class _Asked:
    """``along`` and ``guard`` as one: their columns in order, their parameters, the
    condition, and how many columns are ``along``'s."""

    columns: tuple[Any, ...]
    params: dict[str, Any]
    condition: Any
    along: int

    @classmethod
    def of(cls, along: Along | None, guard: Guard | None) -> _Asked:
        columns = (*(along.columns if along else ()), *(guard.columns if guard else ()))
        params = {**(along.params if along else {}), **(guard.params if guard else {})}
        return cls(columns, params, guard.condition if guard else None,
                   len(along.columns) if along else 0)


def _reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def sequence_name(year: int) -> str:
    """The PostgreSQL sequence of the year's numbers (the year is an int: no injection)."""
    return f"case_reference_{int(year)}"


def _next_in_sequence(connection: Connection, year: int, *also: str,
                      along: _Asked | None = None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The year's next number and the next values of the sequences ``also`` (None where
    ``along``'s condition did not hold), and the answers to ``along``: one SELECT."""
    engine = connection.engine
    years = _READY.setdefault(engine, set())
    if year not in years:
        ensure_sequence(engine, year)
        years.add(year)
    names = {f"s{i}": name for i, name in enumerate([sequence_name(year), *also])}
    columns, condition = (along.columns, along.condition) if along else ((), None)
    params = {**names, **along.params} if along else names
    try:
        row = connection.execute(_nextvals(len(names), columns, condition), params).one()
    except Exception:
        years.discard(year)  # dropped under us (a restore): made again on the next try
        raise
    numbers = tuple(None if value is None else int(value) for value in row[:len(names)])
    return numbers, tuple(row[len(names):])


@cache
def _nextvals(count: int, along: tuple[Any, ...], condition: Any = None) -> Select[Any]:
    """``SELECT nextval(:s0), …`` with the scalar queries ``along`` as further columns,
    one column per value, built once per count and set of queries (the callers' are
    built once each, so the statement and its cache key are made once). With a
    ``condition`` each ``nextval`` is asked only when it holds (``CASE WHEN``): a
    sequence value is never taken for nothing."""
    nextvals: list[Any] = [func.nextval(bindparam(f"s{i}", type_=String)) for i in range(count)]
    if condition is not None:
        nextvals = [sql_case((condition, value)) for value in nextvals]
    return select(*nextvals, *along)


def ensure_sequence(engine: Engine, year: int) -> None:
    """Create the year's sequence if it is missing, after the year's counter row.

    Its own short transaction, under an advisory lock, so two workers starting a year
    at once create it once and neither starts it at 1 after the other has used it.
    """
    name = sequence_name(year)
    with engine.begin() as conn:
        conn.execute(select(func.pg_advisory_xact_lock(SEQUENCE_LOCK_CLASS, year)))
        if conn.scalar(select(func.to_regclass(name))) is not None:
            return
        conn.execute(text(f"CREATE SEQUENCE {name} AS bigint MINVALUE 1"))
        used = conn.scalar(
            select(ReferenceCounter.last_number).where(ReferenceCounter.year == year)
        )
        if used:
            conn.execute(select(func.setval(name, used)))


def _take(conn: Connection, year: int) -> int:
    number = _increment(conn, year)
    if number is not None:
        return number
    try:
        with conn.begin_nested():
            conn.execute(insert(ReferenceCounter).values(year=year, last_number=1))
        return 1
    except IntegrityError:
        # Another writer started the year first; take the next number after theirs.
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
