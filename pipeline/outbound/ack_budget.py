"""A global budget for automatic mail: above it, acknowledgments wait for staff.

Every complaint is answered at once, so a flood of mail (a spam run, a forged sender
list) would make our mailbox a relay that passes SPF and DKIM. ``ack_limit_per_hour``
caps acknowledgments over all senders; one over the budget is rendered and stored
``held`` (never sent, never dropped) until a member of staff sends it from the console
or ``complaints acks release``. A worker counts the hour's mail once per batch, so
workers busy at the same moment may each send up to one batch (20) more than the
budget: a soft cap, which is all a spam guard needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ScalarSelect, bindparam, func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.db.base import UTCDateTime, utcnow
from pipeline.db.models import Case, OutboundMail
from pipeline.db.trail import record_event

HELD = "held"


SENT_LAST_HOUR: ScalarSelect[int] = (
    select(func.count(OutboundMail.id))
    .where(
        OutboundMail.auto_reply.is_(True),
        OutboundMail.created_at >= bindparam("hour_ago", type_=UTCDateTime()),
        OutboundMail.status != HELD,
    )
    .scalar_subquery()
)
"""Automatic mail queued since ``hour_ago`` (held mail not counted), as a subquery.

:func:`~pipeline.outbound.acknowledge.decide_acknowledgment` asks it in the same
statement as its per-address counts, so the budget costs no extra round trip; it is
built once, not per mail.
"""


def hour_ago(now: datetime) -> datetime:
    return now - timedelta(hours=1)


def hold(session: Session, *, case: Case, outbound: OutboundMail, settings: Settings) -> None:
    """Keep a rendered acknowledgment for staff instead of sending it."""
    outbound.status = HELD
    record_event(session, case=case, action=f"{outbound.kind}_held", by="system",
                 limit_per_hour=settings.ack_limit_per_hour)


@dataclass(frozen=True)
class HeldMail:
    """A held acknowledgment as the console and ``complaints acks held --json`` show it."""

    outbound_id: int
    reference: str
    kind: str
    to_address: str
    subject: str
    created_at: str

    def to_json(self) -> dict[str, object]:
        return {"outbound_id": self.outbound_id, "reference": self.reference, "kind": self.kind,
                "to_address": self.to_address, "subject": self.subject,
                "created_at": self.created_at}


def held_mails(session: Session, *, limit: int = 500) -> list[HeldMail]:
    """Held automatic mail, oldest first."""
    rows = session.execute(
        select(OutboundMail, Case.reference)
        .join(Case, Case.id == OutboundMail.case_id)
        .where(OutboundMail.status == HELD)
        .order_by(OutboundMail.id)
        .limit(limit)
    ).all()
    return [HeldMail(outbound_id=m.id, reference=ref, kind=m.kind, to_address=m.to_address,
                     subject=m.subject, created_at=m.created_at.isoformat())
            for m, ref in rows]


class ReleaseError(ValueError):
    """Nothing held to release (shown to staff as it is)."""


def release_held(session: Session, *, case: Case, by: str,
                 outbound_id: int | None = None) -> list[int]:
    """Let the case's held mail (or one of it) go out; returns the ids now ``pending``.

    The caller sends them after the commit; if it cannot, the sweep does.
    """
    query = select(OutboundMail).where(OutboundMail.case_id == case.id,
                                       OutboundMail.status == HELD)
    if outbound_id is not None:
        query = query.where(OutboundMail.id == outbound_id)
    rows = list(session.scalars(query.with_for_update()))
    if not rows:
        raise ReleaseError(f"No held mail for case {case.reference}. "
                           f"案件 {case.reference} 没有待发的邮件。")
    for mail in rows:
        mail.status = "pending"
        mail.claimed_at = None
        record_event(session, case=case, action=f"{mail.kind}_released", by=by,
                     outbound_id=mail.id, at=utcnow().isoformat())
    return [mail.id for mail in rows]
