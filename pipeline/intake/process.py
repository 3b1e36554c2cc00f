"""Turning one ledger mail into a case, a threaded reply, or a recorded non-complaint.

Everything for one mail happens in one transaction that first re-reads the mail's
status under a row lock: a second delivery of the same queue message, or a sweep
that re-sent it, finds the mail already processed and does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import InboundMail, OutboundMail
from pipeline.intake.automatic import automatic_reason
from pipeline.intake.bounce import is_read_receipt, parse_bounce
from pipeline.intake.handlers import handle_bounce, handle_complaint, handle_reply
from pipeline.intake.message import MailLimits, MailRejected, ParsedMail
from pipeline.intake.mime import parse_mail
from pipeline.intake.replies import strip_quoted
from pipeline.intake.threads import earlier_copy, find_thread_case
from pipeline.resolution.customer_replies import opens_new_case
from pipeline.scans.detect import letter_pages
from pipeline.scans.record import scan_from_mail

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What processing produced; the caller enqueues the outbox mails after commit."""

    classification: str = ""
    case_id: int | None = None
    inbound_id: int | None = None
    outbound_ids: list[int] = field(default_factory=list)
    scan_ids: list[int] = field(default_factory=list)  # scanned letters to OCR after commit


def limits_from(settings: Settings) -> MailLimits:
    return MailLimits(
        max_bytes=settings.max_mail_bytes,
        max_parts=settings.max_mime_parts,
        max_depth=settings.max_mime_depth,
        max_header_line_bytes=settings.max_header_line_bytes,
    )


def claim_inbound(factory: sessionmaker[Session], *, inbound_id: int, settings: Settings) -> bool:
    """Count an attempt and hold the mail; False when done, held by another, or given up."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.claim_seconds)
    with factory() as session, session.begin():
        result = session.execute(
            update(InboundMail)
            .where(InboundMail.id == inbound_id, InboundMail.status == "received")
            .where(or_(InboundMail.claimed_at.is_(None), InboundMail.claimed_at < stale))
            .values(claimed_at=now, attempts=InboundMail.attempts + 1)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def release_inbound(factory: sessionmaker[Session], *, inbound_id: int, error: str) -> None:
    """Let a retry take the mail at once after a transient failure."""
    with factory() as session, session.begin():
        session.execute(
            update(InboundMail)
            .where(InboundMail.id == inbound_id, InboundMail.status == "received")
            .values(claimed_at=None, last_error=error[:2000])
        )


def claim_many(
    factory: sessionmaker[Session], *, inbound_ids: list[int], settings: Settings
) -> list[int]:
    """Claim a batch in one statement; returns the ids this caller now holds."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.claim_seconds)
    with factory() as session, session.begin():
        claimed = session.scalars(
            update(InboundMail)
            .where(InboundMail.id.in_(inbound_ids), InboundMail.status == "received")
            .where(or_(InboundMail.claimed_at.is_(None), InboundMail.claimed_at < stale))
            .values(claimed_at=now, attempts=InboundMail.attempts + 1)
            .returning(InboundMail.id)
        )
        return sorted(claimed)


def release_many(factory: sessionmaker[Session], *, inbound_ids: list[int], error: str) -> None:
    """Hand a failed batch back so each mail can be retried on its own."""
    with factory() as session, session.begin():
        session.execute(
            update(InboundMail)
            .where(InboundMail.id.in_(inbound_ids), InboundMail.status == "received")
            .values(claimed_at=None, last_error=error[:2000])
        )


def process_inbound(
    factory: sessionmaker[Session], *, inbound_id: int, settings: Settings
) -> Outcome:
    """Process one claimed ledger mail, exactly once, in one transaction."""
    outcomes = process_many(factory, inbound_ids=[inbound_id], settings=settings)
    return outcomes[0] if outcomes else Outcome(classification="already-done")


def process_many(
    factory: sessionmaker[Session], *, inbound_ids: list[int], settings: Settings
) -> list[Outcome]:
    """Process claimed ledger mails in one transaction, each exactly once.

    Rows are locked in id order (no deadlocks between batches) and re-checked: a mail
    another worker already finished is skipped. Any error rolls the whole batch back;
    the caller then retries the mails one by one, so one bad mail delays only itself.
    """
    outcomes = []
    with factory() as session, session.begin():
        rows = session.scalars(
            select(InboundMail)
            .where(InboundMail.id.in_(inbound_ids))
            .order_by(InboundMail.id)
            .with_for_update()
        ).all()
        for inbound in rows:
            if inbound.status == "received":
                outcomes.append(_finish(inbound, _process(session, inbound, settings)))
    for outcome in outcomes:
        log.info(
            "mail processed",
            extra={"inbound_id": outcome.inbound_id, "classification": outcome.classification},
        )
    return outcomes


def _finish(inbound: InboundMail, outcome: Outcome) -> Outcome:
    inbound.classification = outcome.classification
    inbound.case_id = outcome.case_id if inbound.case_id is None else inbound.case_id
    if inbound.status == "received":
        inbound.status = "processed"
    inbound.processed_at = utcnow()
    inbound.claimed_at = None
    outcome.inbound_id = inbound.id
    return outcome


def _process(session: Session, inbound: InboundMail, settings: Settings) -> Outcome:
    try:
        mail = parse_mail(inbound.raw, limits_from(settings))
    except MailRejected as err:
        quarantine(inbound, err.reason)
        return Outcome(classification="unreadable")
    except Exception as err:  # noqa: BLE001 - quarantined with the reason below
        # The error's text can quote the mail: the log gets its type, the ledger the rest.
        log.warning("parser failed", extra={"inbound_id": inbound.id,
                                            "error": type(err).__name__})
        quarantine(inbound, f"The mail could not be read ({type(err).__name__}: {err}).")
        return Outcome(classification="unreadable")
    _remember_headers(inbound, mail)
    return _route(session, inbound, mail, settings)


def _route(session: Session, inbound: InboundMail, mail: ParsedMail, settings: Settings) -> Outcome:
    bounce = parse_bounce(inbound.raw)
    if bounce is not None:
        case_id = handle_bounce(session, inbound=inbound, mail=mail, bounce=bounce)
        return Outcome(classification="bounce", case_id=case_id)
    # Our own mail is recognised by its Message-ID in the outbox, not by its domain: a
    # mailbox on a public provider shares its Message-ID domain with customers.
    robot = automatic_reason(mail, loop_header=settings.loop_header, own_domains=())
    if robot is None and _is_ours(session, mail.message_id, settings):
        robot = "It is one of our own mails coming back."
    if robot is None and is_read_receipt(inbound.raw):
        robot = "Read receipt"
    case = find_thread_case(session, mail=mail, prefix=settings.reference_prefix)
    if case is not None and robot is None and opens_new_case(
        session, case=case, text=strip_quoted(mail.text), settings=settings, now=utcnow()
    ):
        case_id, outbound_ids = handle_complaint(
            session, inbound=inbound, mail=mail, settings=settings, follows=case
        )
        return Outcome(classification="complaint", case_id=case_id, outbound_ids=outbound_ids)
    if case is not None:
        handle_reply(session, inbound=inbound, mail=mail, case=case, robot=robot, settings=settings)
        return Outcome(classification="auto-reply" if robot else "reply", case_id=case.id)
    if robot is not None:
        inbound.detail = robot
        return Outcome(classification="automatic")
    duplicate = earlier_copy(session, inbound=inbound)
    if duplicate is not None:
        inbound.detail = f"Same Message-ID as ledger mail #{duplicate.id}."
        return Outcome(classification="duplicate", case_id=duplicate.case_id)
    pages = letter_pages(mail, settings)
    if pages:
        scan = scan_from_mail(session, inbound=inbound, mail=mail, pages=pages, settings=settings)
        return Outcome(classification="letter", scan_ids=[scan.scan_id] if scan.is_new else [])
    case_id, outbound_ids = handle_complaint(session, inbound=inbound, mail=mail, settings=settings)
    return Outcome(classification="complaint", case_id=case_id, outbound_ids=outbound_ids)


def quarantine(inbound: InboundMail, reason: str) -> None:
    """Keep the mail and its raw bytes, and tell staff in plain words what is wrong."""
    inbound.status = "quarantined"
    inbound.quarantine_reason = reason
    log.warning("mail quarantined", extra={"inbound_id": inbound.id})


def _remember_headers(inbound: InboundMail, mail: ParsedMail) -> None:
    inbound.from_address = mail.from_address[:320]
    inbound.subject = mail.subject[:500]
    inbound.defects = list(mail.defects)


def _is_ours(session: Session, message_id: str | None, settings: Settings) -> bool:
    """True for a Message-ID we generated; only ids on our own domain need a look-up."""
    own_domain = settings.from_address.rpartition("@")[2].lower()
    if not message_id or not message_id.rstrip(">").lower().endswith("@" + own_domain):
        return False
    found = session.scalar(
        select(OutboundMail.id).where(OutboundMail.message_id == message_id).limit(1)
    )
    return found is not None
