"""Sending the outbox, with a claim so two workers never send the same mail at once.

Crash policy (documented in the README): the row is marked ``sending`` before the
SMTP transaction and ``sent`` after it. A process that dies in between leaves the row
``sending``; once its claim expires the sweep sends it again **with the same
Message-ID**. A customer may then, rarely, receive the same acknowledgment twice,
which mail clients show as one message; we prefer that to a customer who never
hears from us.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, OutboundMail
from pipeline.outbound.transport import MailTransport, PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of an outbox row it now holds."""

    raw: bytes
    to_address: str
    attempts: int


def claim_outbound(
    factory: sessionmaker[Session], *, outbound_id: int, settings: Settings
) -> Claimed | None:
    """Mark the mail ``sending`` if nobody else holds it; None when we may not send it."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.claim_seconds)
    with factory() as session, session.begin():
        row = session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == outbound_id)
            .where(
                or_(
                    OutboundMail.status == "pending",
                    (OutboundMail.status == "sending") & (OutboundMail.claimed_at < stale),
                )
            )
            .values(status="sending", claimed_at=now, attempts=OutboundMail.attempts + 1)
            .returning(OutboundMail.raw, OutboundMail.to_address, OutboundMail.attempts)
        ).first()
    return None if row is None else Claimed(raw=row[0], to_address=row[1], attempts=row[2])


def send_outbound(
    factory: sessionmaker[Session],
    *,
    outbound_id: int,
    transport: MailTransport,
    settings: Settings,
) -> bool:
    """Send one outbox mail if it still needs sending; True when this call sent it."""
    claimed = claim_outbound(factory, outbound_id=outbound_id, settings=settings)
    if claimed is None:
        return False
    attempts = claimed.attempts
    try:
        transport.send(claimed.raw, sender=settings.from_address, recipients=[claimed.to_address])
    except PermanentSendError as err:
        _give_up(factory, outbound_id, f"The receiving mail server refused it: {err}")
        raise
    except TransientSendError as err:
        if attempts >= settings.max_attempts:
            _give_up(factory, outbound_id, f"Could not be sent after {attempts} attempts: {err}")
            raise PermanentSendError(str(err)) from err
        _release(factory, outbound_id, str(err))
        raise
    _mark_sent(factory, outbound_id)
    return True


def _mark_sent(factory: sessionmaker[Session], outbound_id: int) -> None:
    """Record the send: one UPDATE and one audit event, no ORM loading on the hot path."""
    with factory() as session, session.begin():
        row = session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == outbound_id)
            .values(status="sent", sent_at=utcnow(), last_error="")
            .returning(OutboundMail.case_id, OutboundMail.kind)
        ).one()
        session.execute(
            insert(CaseEvent).values(
                case_id=row.case_id, actor="system", action=f"{row.kind}_sent", detail={}
            )
        )


def _release(factory: sessionmaker[Session], outbound_id: int, error: str) -> None:
    """Hand the mail back for a retry by the queue's backoff."""
    with factory() as session, session.begin():
        session.execute(
            update(OutboundMail)
            .where(OutboundMail.id == outbound_id, OutboundMail.status == "sending")
            .values(status="pending", claimed_at=None, last_error=error[:2000])
        )


def _give_up(factory: sessionmaker[Session], outbound_id: int, reason: str) -> None:
    """Stop trying and put the case in front of staff."""
    with factory() as session, session.begin():
        mail = session.get(OutboundMail, outbound_id)
        assert mail is not None
        mail.status = "failed"
        mail.last_error = reason[:2000]
        case = session.get(Case, mail.case_id)
        assert case is not None
        case.attention = f"The {mail.kind} mail was not delivered. {reason}"
        record_event(session, case=case, action=f"{mail.kind}_failed", by="system", reason=reason)
    log.warning("outbound mail failed", extra={"outbound_id": outbound_id})
