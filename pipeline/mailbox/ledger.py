"""The inbound-mail ledger: a mail becomes ours only once its raw bytes are committed.

Pollers call :func:`record_mail` for every mail they fetch and commit before they touch
the server copy (flag or move), like an MTA that answers "250 OK" only after the
message is on disk. Recording is idempotent twice over: the same server item
(mailbox, UIDVALIDITY, UID) is recorded once, and the same bytes (sha256) are stored
once, so a rescan after a UIDVALIDITY change or a mail delivered twice never
produces a second piece of work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.db.base import insert_for
from pipeline.db.models import InboundMail, MailboxItem, MailboxState

STATEMENT_BYTES = 16 * 1024 * 1024
"""Most raw bytes one INSERT carries. The mails of a batch go in one multi-row INSERT;
fifty mails at the size limit would exceed PostgreSQL's 1 GB message limit, and the
poller would retry that batch for ever."""


@dataclass(frozen=True)
class Recorded:
    """Result of recording one mail: its ledger id and whether it is new work."""

    inbound_id: int
    is_new: bool


def record_mail(
    session: Session,
    *,
    raw: bytes,
    source: str,
    mailbox: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    mailbox_key: str = "default",
) -> Recorded:
    """Add a mail (and where it was seen) to the ledger; the caller commits.

    ``mailbox_key`` names the configured mailbox it came in through: the case it opens
    is answered from that mailbox's address. The same bytes arriving in a second
    mailbox (a customer writing to two of our addresses at once) stay one mail.
    """
    if mailbox is not None and uidvalidity is not None and uid is not None:
        return record_mails(session, {uid: raw}, source=source, mailbox=mailbox,
                            uidvalidity=uidvalidity, mailbox_key=mailbox_key)[uid]
    return _store(session, [raw], [source], mailbox_key)[0]


def record_mails(
    session: Session,
    bodies: Mapping[int, bytes],
    *,
    source: str,
    mailbox: str,
    uidvalidity: int,
    mailbox_key: str = "default",
) -> dict[int, Recorded]:
    """:func:`record_mail` for a poller's batch of server items, by UID.

    One INSERT for all the new mails and one for where they were seen, instead of two
    round trips per mail; the caller commits.
    """
    uids = sorted(bodies)
    stored = _store(session, [bodies[uid] for uid in uids], [source] * len(uids), mailbox_key)
    recorded = dict(zip(uids, stored, strict=True))
    if uids:
        items = [{"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid,
                  "inbound_mail_id": recorded[uid].inbound_id} for uid in uids]
        session.connection().execute(_seen_in(session.get_bind().dialect.name), items)
    return recorded


def _store(session: Session, raws: Sequence[bytes], sources: Sequence[str], mailbox_key: str
           ) -> list[Recorded]:
    """Insert the mails whose bytes are new; returns each one's id, in order.

    Plain Core on the session's connection: the ORM's bulk-insert path cost more than
    the INSERT. A copy (or one another poller is recording at this moment: the insert
    waits for it) is looked up afterwards; the first of two equal mails is the new one.
    """
    digests = [hashlib.sha256(raw).hexdigest() for raw in raws]
    rows: dict[str, dict[str, Any]] = {}
    for raw, digest, source in zip(raws, digests, sources, strict=True):
        rows.setdefault(digest, {"sha256": digest, "raw": raw, "size": len(raw),
                                 "message_id": _message_id(raw), "source": source,
                                 "mailbox": mailbox_key})
    if not rows:
        return []
    connection = session.connection()
    statement = _new_mails(connection.dialect.name)
    ids = {row.sha256: row.id for chunk in _by_size(list(rows.values()))
           for row in connection.execute(statement, chunk)}
    new = set(ids)
    missing = [digest for digest in rows if digest not in ids]
    if missing:
        known = select(InboundMail.sha256, InboundMail.id).where(InboundMail.sha256.in_(missing))
        ids.update((row.sha256, row.id) for row in connection.execute(known))
    recorded = []
    for digest in digests:
        recorded.append(Recorded(inbound_id=ids[digest], is_new=digest in new))
        new.discard(digest)
    return recorded


def _by_size(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Split rows into runs of at most :data:`STATEMENT_BYTES` raw bytes (one at least)."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        if chunk and size + row["size"] > STATEMENT_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += row["size"]
    if chunk:
        yield chunk


ROWS_PER_INSERT = 8
"""Rows of one INSERT statement (SQLAlchemy sends a batch as several). psycopg keeps the
translation of a statement of at most 50 parameters, and PostgreSQL its plan once
prepared; one statement for a whole batch of 50 mails had 300 parameters and was
translated anew each time, a third of the poller's work per batch."""


@cache
def _new_mails(dialect: str) -> Any:
    """INSERT of mails unless their bytes are known (built once: it runs for every batch)."""
    return (
        insert_for(dialect)(InboundMail)
        .on_conflict_do_nothing(index_elements=[InboundMail.sha256])
        .returning(InboundMail.sha256, InboundMail.id)
        .execution_options(insertmanyvalues_page_size=ROWS_PER_INSERT)
    )


@cache
def _seen_in(dialect: str) -> Any:
    """INSERT of where mails were seen, unless known (built once, as :func:`_new_mails`)."""
    return (
        insert_for(dialect)(MailboxItem)
        .on_conflict_do_nothing(
            index_elements=[MailboxItem.mailbox, MailboxItem.uidvalidity, MailboxItem.uid])
    )


def _message_id(raw: bytes) -> str | None:
    """Read the Message-ID from the headers only; a broken mail simply has none."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024], headersonly=True)
        value = headers.get("Message-ID")
    except Exception:  # noqa: BLE001 - any header garbage means "no usable Message-ID"
        return None
    if not value:
        return None
    cleaned = "".join(str(value).split())
    return cleaned[:998] or None


def known_uids(session: Session, *, mailbox: str, uidvalidity: int, uids: list[int]) -> set[int]:
    """Return which of these server UIDs are already in the ledger."""
    if not uids:
        return set()
    rows = session.scalars(
        select(MailboxItem.uid).where(
            MailboxItem.mailbox == mailbox,
            MailboxItem.uidvalidity == uidvalidity,
            MailboxItem.uid.in_(uids),
        )
    )
    return set(rows)


def unsettled_uids(session: Session, *, mailbox: str, uidvalidity: int) -> list[int]:
    """UIDs committed to the ledger but not yet flagged or moved on the server."""
    rows = session.scalars(
        select(MailboxItem.uid)
        .where(
            MailboxItem.mailbox == mailbox,
            MailboxItem.uidvalidity == uidvalidity,
            MailboxItem.settled.is_(False),
        )
        .order_by(MailboxItem.uid)
    )
    return list(rows)


def mark_settled(session: Session, *, mailbox: str, uidvalidity: int, uids: list[int]) -> None:
    """Record that these server items were flagged or moved; the caller commits."""
    if uids:
        session.execute(
            update(MailboxItem)
            .where(
                MailboxItem.mailbox == mailbox,
                MailboxItem.uidvalidity == uidvalidity,
                MailboxItem.uid.in_(uids),
            )
            .values(settled=True)
        )


def get_watermark(session: Session, *, mailbox: str) -> tuple[int, int]:
    """Return (uidvalidity, last_uid) for a mailbox folder; (0, 0) when never polled."""
    state = session.get(MailboxState, mailbox)
    if state is None:
        return (0, 0)
    return (state.uidvalidity, state.last_uid)


def set_watermark(session: Session, *, mailbox: str, uidvalidity: int, last_uid: int) -> None:
    """Move the watermark; a new UIDVALIDITY resets it. The caller commits."""
    state = session.get(MailboxState, mailbox)
    if state is None:
        session.add(MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid))
    else:
        state.uidvalidity = uidvalidity
        state.last_uid = last_uid
    session.flush()
