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
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.db.base import utcnow
from pipeline.db.facts import refresh_facts
from pipeline.db.models import Case, CaseEvent, OutboundMail
from pipeline.outbound.envelope import envelope_sender
from pipeline.outbound.transport import MailTransport, PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of an outbox row it now holds."""

    id: int
    raw: bytes
    to_address: str
    attempts: int


@dataclass
class SendReport:
    """What became of a batch: sent, to be retried later, or given up on."""

    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def claim_outbound(
    factory: sessionmaker[Session], *, outbound_ids: list[int], settings: Settings
) -> list[Claimed]:
    """Mark mails ``sending`` if nobody else holds them; returns the ones we now hold."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.claim_seconds)
    with factory() as session, session.begin():
        rows = session.execute(
            update(OutboundMail)
            .where(OutboundMail.id.in_(outbound_ids))
            .where(
                or_(
                    OutboundMail.status == "pending",
                    (OutboundMail.status == "sending") & (OutboundMail.claimed_at < stale),
                )
            )
            .values(status="sending", claimed_at=now, attempts=OutboundMail.attempts + 1)
            .returning(
                OutboundMail.id, OutboundMail.raw, OutboundMail.to_address, OutboundMail.attempts
            )
        ).all()
    return [Claimed(id=r[0], raw=r[1], to_address=r[2], attempts=r[3]) for r in rows]


def send_many(
    factory: sessionmaker[Session],
    *,
    outbound_ids: list[int],
    transport: MailTransport,
    settings: Settings,
) -> SendReport:
    """Send the outbox mails that still need sending, over one transport connection."""
    report = SendReport()
    for claimed in claim_outbound(factory, outbound_ids=outbound_ids, settings=settings):
        try:
            transport.send(
                claimed.raw,
                sender=envelope_sender(claimed.raw, settings.from_address),
                recipients=[claimed.to_address],
            )
        except PermanentSendError as err:
            _give_up(factory, claimed.id, f"The receiving mail server refused it: {err}")
            report.failed.append(claimed.id)
            report.errors[claimed.id] = str(err)
        except TransientSendError as err:
            report.errors[claimed.id] = str(err)
            if claimed.attempts >= settings.max_attempts:
                reason = f"Could not be sent after {claimed.attempts} attempts: {err}"
                _give_up(factory, claimed.id, reason)
                report.failed.append(claimed.id)
            else:
                _release(factory, claimed.id, str(err))
                report.retry.append(claimed.id)
        else:
            report.sent.append(claimed.id)
    _mark_sent(factory, report.sent)
    return report


def send_outbound(
    factory: sessionmaker[Session],
    *,
    outbound_id: int,
    transport: MailTransport,
    settings: Settings,
) -> bool:
    """Send one outbox mail; raises so the queue's retry policy applies to failures."""
    report = send_many(
        factory, outbound_ids=[outbound_id], transport=transport, settings=settings
    )
    if report.retry:
        raise TransientSendError(report.errors[outbound_id])
    if report.failed:
        raise PermanentSendError(report.errors[outbound_id])
    return bool(report.sent)


def _mark_sent(factory: sessionmaker[Session], outbound_ids: list[int]) -> None:
    """Record sends: one UPDATE and one batch of audit events, no ORM loading."""
    if not outbound_ids:
        return
    with factory() as session, session.begin():
        rows = session.execute(
            update(OutboundMail)
            .where(OutboundMail.id.in_(outbound_ids))
            .values(status="sent", sent_at=utcnow(), last_error="")
            .returning(OutboundMail.case_id, OutboundMail.kind)
        ).all()
        session.execute(
            insert(CaseEvent),
            [
                {"case_id": r.case_id, "actor": "system", "action": f"{r.kind}_sent", "detail": {}}
                for r in rows
            ],
        )
        # A Core UPDATE passes the session hook by: the time to acknowledge is a fact.
        refresh_facts(session, (r.case_id for r in rows if r.kind == "acknowledgment"))


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
