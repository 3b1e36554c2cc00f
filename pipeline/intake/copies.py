"""Copies of one mail: the first to be processed owns its Message-ID, in a unique key.

A check for an earlier processed copy cannot see a copy that another worker is
processing at the same moment (both check, both find nothing, both open a case). So
the mail that opens work also inserts its Message-ID into a table whose key is the
Message-ID: the second insert waits for the first transaction and then finds the key
taken (``ON CONFLICT DO NOTHING``, so no savepoint is needed), and that mail is
recorded as a duplicate of the first instead of opening a second case.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pipeline.db.base import insert_for
from pipeline.db.models import InboundMail, MessageIdClaim


def claim_message_id(session: Session, *, inbound: InboundMail) -> InboundMail | None:
    """Own this mail's Message-ID; returns the mail that already owns it, if another does."""
    if not inbound.message_id:
        return None
    values = {"message_id": inbound.message_id, "inbound_id": inbound.id}
    # Core on the session's connection: the ORM's bulk-insert path cost more than this.
    connection = session.connection()
    claimed = connection.execute(_claim(connection.dialect.name), values).first()
    if claimed is not None:
        return None
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
