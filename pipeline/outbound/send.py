"""Sending the outbox: each mail is sent once, and recorded as sent right after the 250.

A worker claims a batch (``sending``, with its token) and then, mail by mail: renews
the claim on the rest of the batch and counts this mail's attempt, hands the mail to
the SMTP server, and on the server's 250 marks it ``sent`` in its own transaction,
fenced on the claim (that same commit renews the rest and counts the next attempt).
So an exception, a time limit or a kill after mail *k* leaves only the mails after
*k* to send again, and a slow server never lets the sweep hand
the batch to a second worker while the first is still sending (each renewal restarts
the claim period of every mail whose claim has used a sixth of it; fresher claims are
left unwritten, which saves PostgreSQL a row version per mail still waiting).

Crash policy (documented in the README): a process that dies between the server's
250 and that commit leaves the mail ``sending``; once its claim expires the sweep
sends it again **with the same Message-ID**. A customer may then, rarely, receive the
same acknowledgment twice, which mail clients show as one message; we prefer that to
a customer who never hears from us. A database that is down at that moment is waited
for (up to ``CLAIM_SECONDS``), so a database restart repeats nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline import jobs
from pipeline.db.base import utcnow
from pipeline.db.models import Case, OutboundMail
from pipeline.db.trail import record_event
from pipeline.jobs import Claim
from pipeline.outbound.envelope import envelope_sender
from pipeline.outbound.sent import record_sent
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
) -> Claim:
    """Mark mails ``sending`` if nobody alive holds them; the claim names the ones we hold.

    Attempts are counted per mail when it is tried, not here: mails a killed worker never
    reached keep their attempts.
    """
    return jobs.claim(
        factory,
        jobs.OUTBOX,
        outbound_ids,
        seconds=settings.claim_seconds,
        count_attempt=False,
        returning=(OutboundMail.raw, OutboundMail.to_address),
    )


def send_many(
    factory: sessionmaker[Session],
    *,
    outbound_ids: list[int],
    transport: MailTransport,
    settings: Settings,
) -> SendReport:
    """Send the outbox mails that still need sending, over one transport connection."""
    held = claim_outbound(factory, outbound_ids=outbound_ids, settings=settings)
    report = SendReport()
    waiting: list[Row[Any]] = list(held.rows)
    renewed: dict[int, int] | None = None  # the rest's renewal, if the last commit did it
    try:
        while waiting:
            mail = waiting.pop(0)
            # The answer holds this mail while it is still ours, and the rest where
            # their claim had aged enough to be written: a later mail is found taken
            # over (if ever) by its own attempt, when its turn comes.
            ours = renewed if renewed is not None else jobs.renew(
                factory, held, [mail.id, *(w.id for w in waiting)], attempt=mail.id)
            renewed = None
            if mail.id not in ours:
                log.warning("outbox claim taken over; not sending", extra={"outbound_id": mail.id})
                continue
            claimed = Claimed(
                id=mail.id, raw=mail.raw, to_address=mail.to_address, attempts=ours[mail.id]
            )
            renewed = _send_one(factory, held, claimed, rest=[w.id for w in waiting],
                                transport=transport, settings=settings, report=report)
    finally:
        _hand_back(factory, held, [w.id for w in waiting])
    return report


def _send_one(
    factory: sessionmaker[Session],
    held: Claim,
    claimed: Claimed,
    *,
    rest: list[int],
    transport: MailTransport,
    settings: Settings,
    report: SendReport,
) -> dict[int, int] | None:
    """Send one mail and record the outcome; returns the renewal of ``rest`` when the
    commit that marked this mail sent also renewed the rest's claim and counted the next
    mail's attempt (saving a transaction per mail), else None."""
    try:
        transport.send(
            claimed.raw,
            sender=envelope_sender(claimed.raw, settings.from_address),
            recipients=[claimed.to_address],
        )
    except PermanentSendError as err:
        _give_up(factory, held, claimed.id, f"The receiving mail server refused it: {err}")
        report.failed.append(claimed.id)
        report.errors[claimed.id] = str(err)
    except TransientSendError as err:
        report.errors[claimed.id] = str(err)
        if claimed.attempts >= settings.max_attempts:
            reason = f"Could not be sent after {claimed.attempts} attempts: {err}"
            _give_up(factory, held, claimed.id, reason)
            report.failed.append(claimed.id)
        else:
            jobs.release(factory, held, [claimed.id], error=str(err))
            report.retry.append(claimed.id)
    else:
        renewed = _mark_sent(factory, held, claimed.id, rest=rest,
                             patience=settings.claim_seconds)
        if renewed is not None:
            report.sent.append(claimed.id)
            return renewed
        log.error(
            "mail sent, but its claim was taken over first; it may go out twice",
            extra={"outbound_id": claimed.id},
        )
    return None


def _hand_back(factory: sessionmaker[Session], held: Claim, never_tried: Sequence[int]) -> None:
    """After an exception or a time limit, the mails not yet tried go back to ``pending``."""
    if not never_tried:
        return
    try:
        jobs.release(factory, held, never_tried)
    except Exception:
        log.warning("could not hand unsent mail back", exc_info=True)


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


def _mark_sent(
    factory: sessionmaker[Session], held: Claim, outbound_id: int, *, rest: list[int],
    patience: float,
) -> dict[int, int] | None:
    """Record the send; a database that is unreachable is waited for, up to ``patience`` s.

    Giving up at once would leave a delivered mail ``sending`` and send it again; the
    claim is still ours while we wait, so nobody else sends it meanwhile. Returns the
    renewal of ``rest`` (see :func:`_record_sent`), or None when the claim was lost.
    """
    deadline = time.monotonic() + patience
    pause = 0.2
    while True:
        try:
            return _record_sent(factory, held, outbound_id, rest)
        except DBAPIError:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("database unreachable after a send; waiting to record it", exc_info=True)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def _record_sent(
    factory: sessionmaker[Session], held: Claim, outbound_id: int, rest: list[int]
) -> dict[int, int] | None:
    """Mark the mail sent (:mod:`pipeline.outbound.sent`); None when the claim is lost.

    The same commit renews the claim on ``rest`` and counts an attempt for its first
    mail, the one about to be tried: what a separate renewal would have done next.
    """
    return record_sent(factory, held, outbound_id, utcnow(), renew=rest)


def _give_up(factory: sessionmaker[Session], held: Claim, outbound_id: int, reason: str) -> None:
    """Stop trying and put the case in front of staff (only while the mail is still ours)."""
    with factory() as session, session.begin():
        touched = jobs.finish(
            session, held, [outbound_id], status="failed", last_error=reason[:2000]
        )
        if not touched:
            return
        mail = session.get(OutboundMail, outbound_id)
        assert mail is not None
        case = session.get(Case, mail.case_id)
        assert case is not None
        case.attention = f"The {mail.kind} mail was not delivered. {reason}"
        record_event(session, case=case, action=f"{mail.kind}_failed", by="system", reason=reason)
    log.warning("outbound mail failed", extra={"outbound_id": outbound_id})
