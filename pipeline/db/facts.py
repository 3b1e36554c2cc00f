"""Keeping ``case_facts`` in step with the rows its figures come from.

A case's facts row is rebuilt from its case, current approved resolution, deadline,
follow-up and acknowledgment by one ``INSERT … SELECT … ON CONFLICT DO UPDATE``.
Rebuilding (rather than adjusting counters) makes every refresh idempotent: running it
twice, or again after a crash, gives the same row.

A case merged into another (status ``merged``) has no facts row: the complaint is
counted once, as the case it joined.

Each refresh also marks the UTC days of the cases' old and new facts stale, so the
daily figures the reports read are recounted for those days (``pipeline/reports/days.py``).

Who calls it: session hooks note every case whose rows a flush touched and rebuild
their facts once, just before the transaction commits and inside it, so nothing has to
catch up after a crash and no code path can forget it. (Once per transaction, not per
flush: an intake transaction flushes several times, and each rebuild costs four
statements.) The one write on the hot path that bypasses the ORM, the outbox marking
mail sent, records the only figure it changes itself (:func:`note_acknowledged`, or
:func:`acknowledged_ctes` inside its statement on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Date,
    Float,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction, aliased, sessionmaker
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.selectable import CTE

from pipeline.db.base import Base, insert_for
from pipeline.db.models import (
    Case,
    CaseDeadline,
    CaseFacts,
    DailyFiguresState,
    FollowUp,
    OutboundMail,
    Resolution,
    StaleMark,
)

_BATCH = 500


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds, in SQL, on PostgreSQL and SQLite alike."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)


def current_resolution() -> ColumnElement[bool]:
    """The join condition from a case to its current approved resolution.

    A reopened case can have two approved versions; only the newest counts. Written as
    a join with an anti-join (not a GROUP BY over all resolutions) so the database
    joins only the selected cases, with the ``resolutions.case_id`` index.
    """
    newer = aliased(Resolution)
    return and_(
        Resolution.case_id == Case.id, Resolution.status == "approved",
        ~exists().where(newer.case_id == Resolution.case_id, newer.status == "approved",
                        newer.version > Resolution.version),
    )


def facts_query(dialect: str) -> Select[*tuple[Any, ...]]:
    """Each case's facts row, in the column order of :data:`FACT_COLUMNS`."""
    acknowledged = (
        select(func.min(OutboundMail.sent_at))
        .where(OutboundMail.case_id == Case.id, OutboundMail.kind == "acknowledgment",
               OutboundMail.sent_at.is_not(None))
        .scalar_subquery()
    )
    kept = case((and_(Case.closed_at.is_not(None), CaseDeadline.due_at.is_not(None)),
                 Case.closed_at <= CaseDeadline.due_at), else_=None)
    return (
        select(
            Case.id, Case.reference, Case.received_at, func.coalesce(Case.department, ""),
            Case.channel, Case.category, Case.product,
            func.coalesce(Resolution.method, ""), func.coalesce(Resolution.loss_amount, 0),
            func.coalesce(Resolution.compensation_amount, 0),
            seconds_between(dialect, Case.closed_at, Case.received_at),
            seconds_between(dialect, acknowledged, Case.received_at),
            kept, FollowUp.score, Case.closing_kind,
        )
        .select_from(Case)
        .outerjoin(Resolution, current_resolution())
        .outerjoin(CaseDeadline, CaseDeadline.case_id == Case.id)
        .outerjoin(FollowUp, FollowUp.case_id == Case.id)
    )


FACT_COLUMNS = (
    "case_id", "reference", "received_at", "department", "channel", "category", "product",
    "method", "loss_amount", "compensation_amount", "close_seconds", "ack_seconds",
    "deadline_kept", "score", "closing_kind",
)


def _upsert(session: Session, rows: Select[*tuple[Any, ...]], *, keep_ack: bool = True) -> None:
    """Insert or overwrite the facts computed by ``rows`` (see :func:`_upsert_statement`)."""
    dialect = session.get_bind().dialect.name
    session.connection().execute(_upsert_statement(rows, dialect, keep_ack=keep_ack))


def _upsert_statement(rows: Select[*tuple[Any, ...]], dialect: str, *, keep_ack: bool) -> Any:
    """The INSERT of the facts computed by ``rows``, overwriting those already stored.

    With ``keep_ack`` a recorded time to acknowledge is never unset: a refresh whose
    snapshot predates a send would unset it, as the outbox records it without taking
    the facts lock (:func:`note_acknowledged`). A repair passes False to recompute
    every figure from the rows alone.
    """
    insert = insert_for(dialect)
    statement = insert(CaseFacts).from_select(FACT_COLUMNS, rows)
    kept = {name: statement.excluded[name] for name in FACT_COLUMNS[1:]}
    if keep_ack:
        kept["ack_seconds"] = func.coalesce(statement.excluded.ack_seconds,
                                            CaseFacts.ack_seconds)
    return statement.on_conflict_do_update(index_elements=[CaseFacts.case_id], set_=kept)


FACTS_LOCK_CLASS = 7101
"""First key of the advisory locks that serialise refreshes of one case's facts."""


def refresh_facts(session: Session, case_ids: Iterable[int],
                  opened: Iterable[int] = ()) -> None:
    """Rebuild the facts of these cases from their current rows.

    ``opened`` names cases created in this transaction: they have no facts row yet (no
    day counted them, nothing to drop), which saves two statements per new complaint.

    On PostgreSQL each case's advisory lock is taken first, in id order. Without it two
    transactions changing the same case at once could each compute the facts from a
    snapshot missing the other's change, and the later upsert would store stale
    figures; with it the second waits, and its next statement reads both changes. An
    advisory lock, not the case row's: a transaction that updated the case row and now
    waits for a lock this one holds (a deadline, say) must not wait for it in turn.
    """
    ids = sorted({int(i) for i in case_ids if i is not None})
    new = set(opened)
    connection = session.connection()
    statements = _refresh_statements(connection.dialect.name)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        if statements.lock is not None:
            connection.execute(statements.lock, {"ids": chunk})
        existing = [i for i in chunk if i not in new]
        if existing:  # the days the cases were counted in (it may move)
            connection.execute(statements.mark_stale, {"ids": existing})
        connection.execute(statements.upsert, {"ids": chunk})
        if existing:
            connection.execute(statements.drop_merged, {"ids": existing})
        connection.execute(statements.mark_stale, {"ids": chunk})  # counted in now


class _RefreshStatements(NamedTuple):
    """The statements of one refresh, each taking the case ids as ``ids``."""

    lock: Any  # None but on PostgreSQL
    mark_stale: Any
    upsert: Any
    drop_merged: Any


@cache
def _refresh_statements(dialect: str) -> _RefreshStatements:
    """Built once per dialect: the facts query alone took a millisecond and more to
    build, for every intake batch, and a statement used again costs SQLAlchemy no new
    cache key. On PostgreSQL the ids go as one array (``= ANY``), one statement for the
    server to prepare whatever their number."""
    lock = None
    if dialect == "postgresql":
        lock = (select(func.pg_advisory_xact_lock(FACTS_LOCK_CLASS, Case.id))
                .where(_ids_in(Case.id, dialect)).order_by(Case.id))
    days = (select(utc_day(dialect, CaseFacts.received_at))
            .where(_ids_in(CaseFacts.case_id, dialect)).distinct())
    merged = select(Case.id).where(_ids_in(Case.id, dialect), ~_counted())
    rows = facts_query(dialect).where(_ids_in(Case.id, dialect), _counted())
    return _RefreshStatements(
        lock=lock,
        mark_stale=insert(StaleMark).from_select(["utc_day"], days),
        upsert=_upsert_statement(rows, dialect, keep_ack=True),
        drop_merged=delete(CaseFacts).where(CaseFacts.case_id.in_(merged)),
    )


def _ids_in(column: Any, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the ids passed as ``ids``."""
    if dialect == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    return column.in_(bindparam("ids", expanding=True))  # type: ignore[no-any-return]


def note_acknowledged(session: Session, case_ids: Iterable[int], sent_at: datetime) -> None:
    """Record the one figure a sent acknowledgment changes: the time to acknowledge.

    The outbox marks mail sent with a Core UPDATE, once per mail on the hot path; a full
    rebuild there cost five statements. This sets ``ack_seconds`` where it is still
    empty (the first acknowledgment counts, as in :func:`facts_query`) and marks the
    case's day for recounting; on PostgreSQL :func:`acknowledged_ctes` does the same
    inside the statement that marks the mail sent. A case without a facts row (merged
    into another) is left alone, as a rebuild would.

    It takes no facts lock, and needs none: an acknowledgment is never unsent, so the
    value only ever goes from empty to set. The UPDATE waits for the row lock of a
    rebuild in flight and then sees its row; a rebuild whose snapshot predates the
    send keeps the value already stored (the COALESCE in :func:`_upsert`).
    """
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        return
    dialect = session.get_bind().dialect.name
    sent = literal(sent_at, type_=CaseFacts.received_at.type)
    session.connection().execute(
        update(CaseFacts)
        .where(CaseFacts.case_id.in_(ids), CaseFacts.ack_seconds.is_(None))
        .values(ack_seconds=seconds_between(dialect, sent, CaseFacts.received_at)))
    session.connection().execute(_refresh_statements(dialect).mark_stale, {"ids": ids})


def acknowledged_ctes(sent: CTE, sent_at: ColumnElement[datetime]) -> tuple[CTE, CTE]:
    """:func:`note_acknowledged` as two PostgreSQL CTEs, for the outbox's one statement.

    ``sent`` has the sent mails' ``case_id`` and ``kind``. The first CTE sets the time
    to acknowledge of the acknowledged cases that have none yet; the second marks the
    days of the facts it changed for recounting (none when a rebuild got there first,
    which marked them itself).
    """
    changed = (
        update(CaseFacts)
        .where(CaseFacts.case_id == sent.c.case_id, sent.c.kind == "acknowledgment",
               CaseFacts.ack_seconds.is_(None))
        .values(ack_seconds=seconds_between("postgresql", sent_at, CaseFacts.received_at))
        .returning(CaseFacts.received_at)
        .cte("acknowledged")
    )
    days = select(utc_day("postgresql", changed.c.received_at)).distinct()
    return changed, insert(StaleMark).from_select(["utc_day"], days).cte("stale")


def _counted() -> ColumnElement[bool]:
    """Cases the statistics count: all but duplicates merged into another case."""
    return Case.merged_into_case_id.is_(None)


def utc_day(dialect: str, moment: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a stored time, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", moment), Date)
    return func.date(moment)


def rebuild_all_facts(session: Session) -> int:
    """Rebuild every case's facts (after a bulk load or a repair); returns the count.

    The daily figures are then recounted from scratch at their next refresh. Every
    figure is recomputed from the rows alone, the time to acknowledge included: run
    it with the outbox stopped, as a send committed during the rebuild may be missed.
    """
    dialect = session.get_bind().dialect.name
    _upsert(session, facts_query(dialect).where(_counted()), keep_ack=False)
    session.connection().execute(delete(CaseFacts).where(CaseFacts.case_id.in_(
        select(Case.id).where(~_counted()))))
    session.connection().execute(delete(DailyFiguresState))
    return session.scalar(select(func.count()).select_from(CaseFacts)) or 0


_COUNTED = {
    Case: ("reference", "received_at", "department", "channel", "category", "product",
           "closed_at", "merged_into_case_id", "closing_kind"),
    Resolution: ("case_id", "status", "version", "method", "loss_amount", "compensation_amount"),
    CaseDeadline: ("due_at",),
    FollowUp: ("score",),
    OutboundMail: ("kind", "sent_at"),
}
"""The attributes the facts are computed from; changes to any other leave them alone."""


def _counts(obj: Base, *, changed_only: bool) -> bool:
    """Whether flushing this object may change a case's facts."""
    if isinstance(obj, OutboundMail) and obj.kind != "acknowledgment":
        return False
    if not changed_only:  # new or deleted
        return True
    attributes = inspect(obj).attrs
    return any(attributes[name].history.has_changes() for name in _COUNTED[type(obj)])


def _opened_cases(session: Session) -> set[int]:
    """Cases inserted by this flush (their ids are known once it has run)."""
    return {obj.id for obj in session.new if isinstance(obj, Case)}


def _touched_cases(session: Session) -> set[int]:
    """Cases whose figures the objects about to be flushed change."""
    flushed = [(obj, False) for obj in (*session.new, *session.deleted)]
    flushed += [(obj, True) for obj in session.dirty]
    return {obj.id if isinstance(obj, Case) else obj.case_id
            for obj, changed_only in flushed
            if type(obj) in _COUNTED and _counts(obj, changed_only=changed_only)}


_TOUCHED = "case_facts_touched"
_OPENED = "case_facts_opened"


def _note_touched(session: Session, _context: UOWTransaction) -> None:
    session.info.setdefault(_TOUCHED, set()).update(_touched_cases(session))
    session.info.setdefault(_OPENED, set()).update(_opened_cases(session))


def _refresh_before_commit(session: Session) -> None:
    """Rebuild the facts of every case the transaction changed, once, just before it ends.

    Savepoint commits are left alone: their changes are part of the outer transaction.
    """
    if session.in_nested_transaction():
        return
    session.flush()  # the last changes note their cases too
    touched = session.info.pop(_TOUCHED, set())
    opened = session.info.pop(_OPENED, set())
    if touched:
        refresh_facts(session, touched, opened)


def _forget_touched(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction is over (committed or not)
        session.info.pop(_TOUCHED, None)
        session.info.pop(_OPENED, None)


def keep_facts_current(factory: sessionmaker[Session]) -> None:
    """Make every session from ``factory`` refresh the facts of the cases it changes."""
    event.listen(factory, "after_flush", _note_touched)
    event.listen(factory, "before_commit", _refresh_before_commit)
    event.listen(factory, "after_transaction_end", _forget_touched)
