"""Quarantined mail: what staff see of it, and sending it through intake again.

Reprocessing is for mail quarantined by a limit or a parser problem that has since
been fixed (or raised). It puts the ledger row back to ``received`` with its attempts
reset, in one conditional UPDATE, so pressing the button twice, or two staff pressing
it together, queues the mail once; intake itself is idempotent from there on.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.db.models import InboundMail

QUARANTINED = ("quarantined", "failed")
MAX_RAW_CHARS = 200_000


def quarantined_mail(session: Session, inbound_id: int) -> InboundMail | None:
    return session.scalar(
        select(InboundMail).where(InboundMail.id == inbound_id,
                                  InboundMail.status.in_(QUARANTINED))
    )


def raw_source(row: InboundMail) -> str:
    """The raw mail as text for staff to read (the page escapes it)."""
    text = row.raw[:MAX_RAW_CHARS].decode("utf-8", "replace")
    if len(row.raw) > MAX_RAW_CHARS:
        text += f"\n\n[… {len(row.raw) - MAX_RAW_CHARS} more bytes not shown]"
    return text


def requeue(session: Session, inbound_id: int) -> bool:
    """Put a quarantined mail back in the intake queue; False if it was not quarantined."""
    result = session.execute(
        update(InboundMail)
        .where(InboundMail.id == inbound_id, InboundMail.status.in_(QUARANTINED))
        .values(status="received", quarantine_reason="", attempts=0, claimed_at=None,
                claim_token=None, last_error="", classification="")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
