"""Copies of one mail: the first to be processed owns its Message-ID, in a unique key.

A check for an earlier processed copy cannot see a copy that another worker is
processing at the same moment (both check, both find nothing, both open a case). So
the mail that opens work also inserts its Message-ID into a table whose key is the
Message-ID: the second insert waits for the first transaction and then finds the key
taken (``ON CONFLICT DO NOTHING``, so no savepoint is needed), and that mail is
recorded as a duplicate of the first instead of opening a second case.

Both steps run for every mail. On PostgreSQL they are one statement: the look-up of an
earlier processed copy and, when there is none, the claim, as a CTE and an INSERT that
only runs when the CTE found nothing. A mail about to open a case does not even make
that round trip: the same CTEs go into the SELECT that takes the case's numbers, as its
guard (:class:`MessageIdGuard`), and no number is taken for a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, literal, select, true
from sqlalchemy.orm import Session

from pipeline.db.base import insert_for
from pipeline.db.models import InboundMail, MessageIdClaim


def earlier_copy_or_claim(session: Session, *, inbound: InboundMail) -> Any | None:
    """The copy of this mail that came first (its ``id`` and ``case_id``), or None once
    this mail owns its Message-ID: an earlier processed copy, else the claim's owner."""
    if not inbound.message_id:
        return None
    values = {"message_id": inbound.message_id, "inbound_id": inbound.id}
    # Core on the session's connection: the ORM's paths cost more than these statements.
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return (connection.execute(_processed_copy(), values).first()
                or claim_message_id(session, inbound=inbound))
    row = connection.execute(_copy_or_claim(), values).one()
    if row.id is not None:
        return row
    return None if row.claimed else _owner(session, inbound)


def claim_message_id(session: Session, *, inbound: InboundMail) -> InboundMail | None:
    """Own this mail's Message-ID; returns the mail that already owns it, if another does."""
    if not inbound.message_id:
        return None
    values = {"message_id": inbound.message_id, "inbound_id": inbound.id}
    connection = session.connection()
    claimed = connection.execute(_claim(connection.dialect.name), values).first()
    if claimed is not None:
        return None
    return _owner(session, inbound)


def _owner(session: Session, inbound: InboundMail) -> InboundMail | None:
    """The other mail that owns this one's Message-ID (a copy processed at the same time)."""
    owner = session.scalar(
        select(MessageIdClaim.inbound_mail_id).where(
            MessageIdClaim.message_id == inbound.message_id
        )
    )
    if owner is not None and owner != inbound.id:
        return session.get(InboundMail, owner)
    return None


@cache
def _claim(dialect: str) -> Any:
    """The INSERT that takes a Message-ID (built once per dialect: it runs for every mail)."""
    return (
        insert_for(dialect)(MessageIdClaim)
        .values(message_id=bindparam("message_id"), inbound_mail_id=bindparam("inbound_id"))
        .on_conflict_do_nothing(index_elements=[MessageIdClaim.message_id])
        .returning(MessageIdClaim.message_id)
    )


@cache
def _processed_copy() -> Select[int, int | None]:
    """An already-processed mail with the same Message-ID (the same mail delivered
    twice): only its id and case, not the whole mail and its bytes."""
    return (
        select(InboundMail.id, InboundMail.case_id)
        .where(
            InboundMail.message_id == bindparam("message_id"),
            InboundMail.id != bindparam("inbound_id"),
            InboundMail.status == "processed",
        )
        .limit(1)
    )


@cache
def _copy_or_claim() -> Select[Any]:
    """PostgreSQL: the earlier copy's id and case (NULLs if none) and whether this mail
    claimed its Message-ID, which it tries only when there is no earlier copy."""
    earlier, claimed = _earlier_and_claim()
    return (
        select(earlier.c.id, earlier.c.case_id, claimed.label("claimed"))
        .select_from(select(literal(1)).subquery().outerjoin(earlier, true()))
    )


@cache
def _earlier_and_claim() -> tuple[Any, Any]:
    """The CTE of an earlier processed copy, and the condition that this mail claimed its
    Message-ID: an INSERT (a CTE too) that runs only when there is no earlier copy."""
    earlier = _processed_copy().cte("earlier")
    claim = (
        insert_for("postgresql")(MessageIdClaim)
        .from_select(["message_id", "inbound_mail_id"],
                     select(bindparam("message_id", type_=MessageIdClaim.message_id.type),
                            bindparam("inbound_id", type_=MessageIdClaim.inbound_mail_id.type))
                     .where(~exists(earlier.select())))
        .on_conflict_do_nothing(index_elements=[MessageIdClaim.message_id])
        .returning(MessageIdClaim.message_id)
        .cte("claimed")
    )
    return earlier, select(func.count()).select_from(claim).scalar_subquery() > 0


@cache
def _guard_columns() -> tuple[Any, ...]:
    earlier, _ = _earlier_and_claim()
    return (select(earlier.c.id).scalar_subquery(), select(earlier.c.case_id).scalar_subquery())


@dataclass(frozen=True)
class MessageIdGuard:
    """The claim on a mail's Message-ID as the guard of its case's numbers (a
    ``pipeline.cases.references.Guard``): one round trip less per complaint. Its
    columns answer the earlier processed copy's id and case (NULLs if none)."""

    message_id: str
    inbound_id: int

    @property
    def params(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "inbound_id": self.inbound_id}

    @property
    def columns(self) -> tuple[Any, ...]:
        return _guard_columns()

    @property
    def condition(self) -> Any:
        return _earlier_and_claim()[1]


def guard_for(session: Session, inbound: InboundMail) -> MessageIdGuard | None:
    """The guard for this mail's case numbers, where one statement can carry it (on
    PostgreSQL, for a mail with a Message-ID); else None: claim first, with
    :func:`earlier_copy_or_claim`."""
    if not inbound.message_id or session.get_bind().dialect.name != "postgresql":
        return None
    return MessageIdGuard(inbound.message_id, inbound.id)


def first_copy(session: Session, inbound: InboundMail, answers: tuple[Any, ...]) -> Any | None:
    """After the guard refused: the earlier processed copy its columns answered, else the
    mail that owns the Message-ID (a copy processed at the same time); None if none."""
    earlier_id, earlier_case = answers
    if earlier_id is not None:
        return _Copy(earlier_id, earlier_case)
    return _owner(session, inbound)


@dataclass(frozen=True)
class _Copy:
    id: int
    case_id: int | None
