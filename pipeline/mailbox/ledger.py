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
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from pipeline.db.base import insert_for
from pipeline.db.models import InboundMail, MailboxItem, MailboxState


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
    digest = hashlib.sha256(raw).hexdigest()
    dialect = session.get_bind().dialect.name
    # One statement for the common case, a new mail; a copy (or one another poller is
    # recording at this moment: the insert waits for it) finds its row afterwards.
    inbound_id = session.scalar(_new_mail(dialect), {
        "sha256": digest, "raw": raw, "size": len(raw), "message_id": _message_id(raw),
        "source": source, "mailbox": mailbox_key})
    is_new = inbound_id is not None
    if inbound_id is None:
        inbound_id = session.scalar(select(InboundMail.id).where(InboundMail.sha256 == digest))
        assert inbound_id is not None
    if mailbox is not None and uidvalidity is not None and uid is not None:
        session.execute(_seen_in(dialect), {"mailbox": mailbox, "uidvalidity": uidvalidity,
                                            "uid": uid, "inbound_id": inbound_id})
    return Recorded(inbound_id=inbound_id, is_new=is_new)


@cache
def _new_mail(dialect: str) -> Any:
    """INSERT of a mail unless its bytes are known (built once: it runs for every mail)."""
    return (
        insert_for(dialect)(InboundMail)
        .values(sha256=bindparam("sha256"), raw=bindparam("raw"), size=bindparam("size"),
                message_id=bindparam("message_id"), source=bindparam("source"),
                mailbox=bindparam("mailbox"))
        .on_conflict_do_nothing(index_elements=[InboundMail.sha256])
        .returning(InboundMail.id)
    )


@cache
def _seen_in(dialect: str) -> Any:
    """INSERT of where a mail was seen, unless known (built once, as :func:`_new_mail`)."""
    return (
        insert_for(dialect)(MailboxItem)
        .values(mailbox=bindparam("mailbox"), uidvalidity=bindparam("uidvalidity"),
                uid=bindparam("uid"), inbound_mail_id=bindparam("inbound_id"))
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
