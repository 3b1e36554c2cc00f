"""Recording that the SMTP server accepted a mail: status, audit event, figures.

This runs once per mail sent, in the outbox's commit right after the server's 250, so
its cost is paid for every acknowledgment. On PostgreSQL it is one statement: the
fenced UPDATE of the mail, its ``…_sent`` event, the case's time to acknowledge, the
stale mark of the case's day and the renewal of the claim on the mails still to send,
chained as data-modifying CTEs (one round trip, one plan, instead of five). The
statement is built once, with bound parameters, so SQLAlchemy computes its cache key
once too. Elsewhere (SQLite, the embedded runtime) the same steps run one after
another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Row, String, bindparam, insert, literal, select, true, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.selectable import CTE

from pipeline import jobs
from pipeline.db.base import UTCDateTime
from pipeline.db.facts import acknowledged_ctes, note_acknowledged
from pipeline.db.models import CaseEvent, OutboundMail
from pipeline.jobs import Claim


def record_sent(factory: sessionmaker[Session], held: Claim, outbound_id: int,
                sent_at: datetime, *, renew: Sequence[int] = ()) -> dict[int, int] | None:
    """:func:`mark_sent` in a transaction of its own.

    On PostgreSQL that is the one statement alone, in autocommit: it is atomic by
    itself, and a transaction around it would cost a BEGIN and a COMMIT round trip and
    a session, per mail sent.
    """
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        with factory() as session, session.begin():
            return mark_sent(session, held, outbound_id, sent_at, renew=renew)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        return _in_one(connection, held, outbound_id, sent_at, list(renew))


def mark_sent(session: Session, held: Claim, outbound_id: int, sent_at: datetime, *,
              renew: Sequence[int] = ()) -> dict[int, int] | None:
    """Mark the mail sent if our claim still holds it; None when the claim was lost.

    The same commit renews the claim on ``renew``, the mails still to send, where it
    has aged, and counts an attempt for its first, the one about to be tried: what a
    separate renewal would do next. Returns that renewal (:func:`pipeline.jobs.renew`),
    ``{id: attempts}`` of the mails it wrote, the next one included while still ours.
    """
    rest = list(renew)
    if session.get_bind().dialect.name == "postgresql":
        return _in_one(jobs.core(session), held, outbound_id, sent_at, rest)
    if not _step_by_step(session, held, outbound_id, sent_at):
        return None
    return jobs.renew_in(session, held, rest, attempt=rest[0] if rest else None)


def _in_one(connection: Connection, held: Claim, outbound_id: int, sent_at: datetime,
            rest: list[int]) -> dict[int, int] | None:
    """Run :func:`_in_one_statement`; the renewal it returned, or None when it marked
    nothing sent (the claim was lost)."""
    values = {"outbound_id": outbound_id, "token": held.token, "moment": sent_at,
              "ids": rest, "now": sent_at, "renew_before": held.renew_before(sent_at),
              "attempt": rest[0] if rest else None}
    rows = connection.execute(_in_one_statement(), values).all()
    if not rows:
        return None
    return {row.id: row.attempts for row in rows if row.id is not None}


def _sent_update(outbound_id: Any, token: Any, sent_at: Any) -> Any:
    """The fenced UPDATE: only a claim that still carries our token marks the mail."""
    return (
        update(OutboundMail)
        .where(OutboundMail.id == outbound_id, OutboundMail.claim_token == token)
        .values(status="sent", sent_at=sent_at, last_error="", claimed_at=None,
                claim_token=None)
        .returning(OutboundMail.case_id, OutboundMail.kind)
    )


@cache
def _in_one_statement() -> Select[Any]:
    """The send's one statement: a row per mail renewed (one with NULLs if none), or no
    row at all when the claim on the sent mail was lost (nothing is then changed)."""
    # Not "sent_at": an UPDATE in the statement would take a parameter named after one
    # of its columns as a value to set.
    sent_at = bindparam("moment", type_=UTCDateTime())
    sent = _sent_update(bindparam("outbound_id"), bindparam("token"), sent_at).cte("sent")
    acknowledged, stale = acknowledged_ctes(sent, sent_at)
    renewed = (jobs.renewal(OutboundMail, counting=True, dialect="postgresql")
               .where(select(sent.c.kind).exists()).cte("renewed"))
    return (
        select(sent.c.case_id, sent.c.kind, renewed.c.id, renewed.c.attempts)
        .select_from(sent.outerjoin(renewed, true()))
        .add_cte(_event_cte(sent, sent_at), acknowledged, stale)
    )


def _event_cte(sent: CTE, sent_at: ColumnElement[datetime]) -> CTE:
    """The audit event of each mail ``sent`` returns: ``acknowledgment_sent`` and so on."""
    action = sent.c.kind + literal("_sent", String)
    rows = select(sent.c.case_id, sent_at, literal("system"), action, literal({}, JSON))
    columns = ["case_id", "at", "actor", "action", "detail"]
    return insert(CaseEvent).from_select(columns, rows).cte("logged")


def _step_by_step(session: Session, held: Claim, outbound_id: int, sent_at: datetime
                  ) -> list[Row[Any]]:
    fenced = _sent_update(outbound_id, held.token, sent_at)
    rows = list(jobs.core(session).execute(fenced))
    if rows:
        jobs.core(session).execute(
            insert(CaseEvent),
            [{"case_id": r.case_id, "at": sent_at, "actor": "system",
              "action": f"{r.kind}_sent", "detail": {}} for r in rows],
        )
        # A Core UPDATE passes the session hook by: the time to acknowledge is a fact.
        note_acknowledged(session, (r.case_id for r in rows if r.kind == "acknowledgment"),
                          sent_at)
    return rows
