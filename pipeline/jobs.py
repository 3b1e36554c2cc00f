"""Job rows: claim, renew, fence, release and give up, the same way for every kind.

Inbound mail, scanned letters and outgoing mail are each a row that one worker at a
time works on. A worker *claims* rows with one conditional UPDATE that writes a fresh
random token and the time; the sweep hands a row to someone else only once that time
is older than the claim period. Every later write of the worker names the token in
its WHERE clause (it is *fenced*): when a slow or frozen worker's claim was taken over,
its update touches no row, and it must stop without side effects instead of
overwriting the new holder's work. A worker that works longer than one claim period
*renews* its claim (for the outbox: before every mail), so the sweep never takes work
from a worker that is alive.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    and_,
    any_,
    bindparam,
    case,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.base import utcnow
from pipeline.db.models import InboundMail, LetterScan, OutboundMail

# A renewal rewrites only the claims older than this share of the claim period. A row is
# written per renewal either way (a new row version, its indexes, its WAL), and the
# outbox renews before every mail: rewriting the whole rest of a batch each time was the
# costliest statement PostgreSQL ran for intake. Left alone, a fresh claim still has
# five sixths of its period before anybody may take it over: more than one send can
# last (``SMTP_TIMEOUT_SECONDS`` per step against ``CLAIM_SECONDS``).
RENEW_AFTER_SHARE = 1 / 6


@dataclass(frozen=True)
class JobKind:
    """One kind of job row: its table and the statuses a worker may take it in.

    ``held`` is the status a claimed row gets (``None``: unchanged), ``ready`` the one a
    released row goes back to.
    """

    model: Any
    claimable: tuple[str, ...]
    ready: str
    held: str | None = None

    def idle(self, stale: datetime) -> ColumnElement[bool]:
        """Nobody holds the row, or its holder stopped renewing before ``stale``."""
        return or_(self.model.claimed_at.is_(None), self.model.claimed_at < stale)

    def open(self, stale: datetime) -> ColumnElement[bool]:
        """Unfinished and free to take."""
        return and_(self.model.status.in_(self.claimable), self.idle(stale))


INBOUND = JobKind(model=InboundMail, claimable=("received",), ready="received")
SCAN = JobKind(model=LetterScan, claimable=("received",), ready="received")
OUTBOX = JobKind(
    model=OutboundMail, claimable=("pending", "sending"), ready="pending", held="sending"
)


@dataclass(frozen=True)
class Claim:
    """Rows one worker holds, named by the token it wrote on them."""

    kind: JobKind
    token: str
    ids: tuple[int, ...] = ()
    rows: tuple[Row[Any], ...] = field(default=(), compare=False)
    seconds: float = 0.0  # the claim period (0: every renewal rewrites every claim)

    def renew_before(self, now: datetime) -> datetime:
        """Claims written before this moment are renewed; later ones are fresh enough."""
        return now - timedelta(seconds=self.seconds * RENEW_AFTER_SHARE)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def fence(self, ids: Iterable[int] | None = None) -> ColumnElement[bool]:
        """WHERE clause: these rows (default: all of the claim) still carry our token."""
        model = self.kind.model
        chosen = self.ids if ids is None else tuple(ids)
        return and_(model.id.in_(chosen), model.claim_token == self.token)


def core(session: Session) -> Connection:
    """Where the UPDATEs here run: on the session's connection, as plain SQL.

    They run in short sessions that hold none of the rows loaded, so the ORM's work
    for an UPDATE (finding and updating loaded objects, flushing first) is waste: half
    an UPDATE's cost on the outbox's hot path. A caller passing its own session
    (:func:`renew_in`, :func:`finish`) must not read the changed columns from objects it
    loaded before.
    """
    return session.connection()


def claim(
    factory: sessionmaker[Session],
    kind: JobKind,
    ids: Sequence[int],
    *,
    seconds: float,
    max_attempts: int | None = None,
    count_attempt: bool = True,
    returning: Sequence[Any] = (),
) -> Claim:
    """Take the rows nobody (alive) holds, in one statement; returns what we now hold.

    ``count_attempt=False`` is for a batch whose rows count their attempts one by one
    as they are really tried (:func:`renew` with ``attempt``), so rows a killed worker
    never reached do not use up their attempts.
    """
    model = kind.model
    token = secrets.token_hex(16)
    if not ids:
        return Claim(kind=kind, token=token, seconds=seconds)
    now = utcnow()
    values: dict[str, Any] = {"claimed_at": now, "claim_token": token}
    if kind.held is not None:
        values["status"] = kind.held
    if count_attempt:
        values["attempts"] = model.attempts + 1
    stale = now - timedelta(seconds=seconds)
    statement = (update(model)
                 .where(model.id.in_(list(ids)), kind.open(stale)))
    if max_attempts is not None:
        statement = statement.where(model.attempts < max_attempts)
    with factory() as session, session.begin():
        rows = core(session).execute(
            statement.values(**values).returning(model.id, *returning)
        ).all()
    ordered = sorted(rows, key=lambda r: r[0])
    return Claim(kind=kind, token=token, ids=tuple(r[0] for r in ordered), rows=tuple(ordered),
                 seconds=seconds)


def renew(
    factory: sessionmaker[Session], held: Claim, ids: Iterable[int], *, attempt: int | None = None
) -> dict[int, int]:
    """Move the claim time of these rows to now where it has aged; returns {id: attempts}
    of the rows written, those still ours.

    With ``attempt``, that row also counts one attempt (it is about to be tried), and is
    always written: its answer says whether it is still ours. A row left out of the
    answer is either fresh (claimed or renewed within ``RENEW_AFTER_SHARE`` of the
    period, so nobody may take it yet) or taken over; its own attempt tells which.
    """
    with factory() as session, session.begin():
        return renew_in(session, held, ids, attempt=attempt)


def renew_in(
    session: Session, held: Claim, ids: Iterable[int], *, attempt: int | None = None
) -> dict[int, int]:
    """:func:`renew` in the caller's transaction (one commit for two steps)."""
    chosen = list(ids)
    if not chosen:
        return {}
    now = utcnow()
    values: dict[str, Any] = {"ids": chosen, "token": held.token, "now": now,
                              "renew_before": held.renew_before(now)}
    if attempt is not None:
        values["attempt"] = attempt
    connection = core(session)
    statement = renewal(held.kind.model, counting=attempt is not None,
                        dialect=connection.dialect.name)
    return {r[0]: r[1] for r in connection.execute(statement, values)}


@cache
def renewal(model: Any, *, counting: bool, dialect: str) -> Any:
    """The fenced renewal UPDATE, built once per table: the outbox runs it per mail sent.

    Parameters: ``ids`` (a list), ``token``, ``now``, ``renew_before`` (claims written
    since are left as they are) and, when ``counting``, ``attempt`` (always written).
    On PostgreSQL the ids go as one array (``= ANY``): an ``IN`` list is written into
    the SQL anew for each length, and each length is a statement of its own for the
    server to prepare (99 against 132 us of our CPU, 35 against 50 us of the server's).
    """
    values: dict[str, Any] = {"claimed_at": bindparam("now")}
    aged: ColumnElement[bool] = model.claimed_at < bindparam("renew_before",
                                                              type_=model.claimed_at.type)
    if counting:
        values["attempts"] = model.attempts + case((model.id == bindparam("attempt"), 1),
                                                   else_=0)
        aged = or_(model.id == bindparam("attempt"), aged)
    if dialect == "postgresql":
        chosen = model.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    else:
        chosen = model.id.in_(bindparam("ids", expanding=True))
    return (
        update(model)
        .where(chosen, model.claim_token == bindparam("token"), aged)
        .values(**values)
        .returning(model.id, model.attempts)
    )


def finish(session: Session, held: Claim, ids: Iterable[int], **values: Any) -> list[Row[Any]]:
    """Fenced final UPDATE in the caller's transaction; returns the rows it touched.

    An empty result means the claim was lost: the caller must then do nothing else.
    """
    model = held.kind.model
    return list(
        core(session).execute(
            update(model)
            .where(held.fence(ids))
            .values(claimed_at=None, claim_token=None, **values)
            .returning(model.id)
        ).all()
    )


def lock_held(session: Session, held: Claim) -> list[Any]:
    """Lock and load the claimed rows that are still ours and unfinished, in id order.

    Work done under this lock is fenced: nobody can take the rows over until commit.
    """
    model = held.kind.model
    return list(
        session.scalars(
            select(model)
            .where(held.fence(), model.status.in_(held.kind.claimable))
            .order_by(model.id)
            .with_for_update()
        ).all()
    )


def release(
    factory: sessionmaker[Session], held: Claim, ids: Iterable[int], *, error: str = ""
) -> int:
    """Hand rows back at once (a retry need not wait for the claim to expire)."""
    chosen = list(ids)
    if not chosen:
        return 0
    model = held.kind.model
    values: dict[str, Any] = {"claimed_at": None, "claim_token": None}
    if held.kind.held is not None:
        values["status"] = held.kind.ready
    if error:
        values["last_error"] = error[:2000]
    with factory() as session, session.begin():
        result = core(session).execute(
            update(model)
            .where(held.fence(chosen), model.status.in_(held.kind.claimable))
            .values(**values)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def give_up_idle(
    session: Session, kind: JobKind, *, stale: datetime, max_attempts: int | None = None,
    ids: Sequence[int] | None = None,
) -> list[Any]:
    """Mark unfinished rows nobody alive holds as failed; returns them for the caller's notes.

    Rows a live worker holds are left alone: failing them under it would record a
    mail as failed that it is sending right now.
    """
    model = kind.model
    query = select(model).where(kind.open(stale))
    if max_attempts is not None:
        query = query.where(model.attempts >= max_attempts)
    if ids is not None:
        query = query.where(model.id.in_(list(ids)))
    rows = list(session.scalars(query.with_for_update()).all())
    for row in rows:
        row.status = "failed"
        row.claimed_at = None
        row.claim_token = None
    return rows
