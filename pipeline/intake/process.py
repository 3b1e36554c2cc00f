"""Turning one ledger mail into a case, a threaded reply, or a recorded non-complaint.

Everything for one mail happens in one transaction that first re-reads the mail's
status under a row lock: a second delivery of the same queue message, or a sweep
that re-sent it, finds the mail already processed and does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.mailboxes import our_addresses, our_domains
from config.settings import Settings
from pipeline import jobs
from pipeline.cases.customer_addresses import is_customer_address
from pipeline.cases.from_mail import open_mail_case
from pipeline.cases.identity import sender_identity
from pipeline.cases.references import Refused
from pipeline.db.base import utcnow
from pipeline.db.models import InboundMail, OutboundMail
from pipeline.intake.automatic import automatic_reason
from pipeline.intake.bounce import is_read_receipt, parse_bounce
from pipeline.intake.copies import earlier_copy_or_claim, first_copy, guard_for
from pipeline.intake.handlers import handle_bounce, handle_reply
from pipeline.intake.threads import find_thread_case
from pipeline.intake.unverified import handle_unverified
from pipeline.jobs import Claim
from pipeline.mail.limits import limits_from
from pipeline.mail.message import MailRejected, ParsedMail
from pipeline.mail.mime import read_mail
from pipeline.mail.safehtml import sanitise_html
from pipeline.resolution.customer_replies import opens_new_case
from pipeline.scans.detect import letter_pages
from pipeline.scans.record import scan_from_mail
from pipeline.text.replies import strip_quoted

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What processing produced; the caller enqueues the outbox mails after commit."""

    classification: str = ""
    case_id: int | None = None
    inbound_id: int | None = None
    outbound_ids: list[int] = field(default_factory=list)
    scan_ids: list[int] = field(default_factory=list)  # scanned letters to OCR after commit


def claim_inbound(
    factory: sessionmaker[Session], *, inbound_id: int, settings: Settings
) -> Claim | None:
    """Count an attempt and hold the mail; None when done, held by another, or given up."""
    held = claim_many(factory, inbound_ids=[inbound_id], settings=settings)
    return held or None


def release_inbound(factory: sessionmaker[Session], *, held: Claim, error: str) -> None:
    """Let a retry take the mail at once after a transient failure."""
    jobs.release(factory, held, held.ids, error=error)


def claim_many(
    factory: sessionmaker[Session], *, inbound_ids: list[int], settings: Settings
) -> Claim:
    """Claim a batch in one statement; the claim names the ids this caller now holds."""
    return jobs.claim(
        factory, jobs.INBOUND, inbound_ids, seconds=settings.claim_seconds
    )


def release_many(factory: sessionmaker[Session], *, held: Claim, error: str) -> None:
    """Hand a failed batch back so each mail can be retried on its own."""
    jobs.release(factory, held, held.ids, error=error)


def process_inbound(factory: sessionmaker[Session], *, held: Claim, settings: Settings) -> Outcome:
    """Process one claimed ledger mail, exactly once, in one transaction."""
    outcomes = process_many(factory, held=held, settings=settings)
    return outcomes[0] if outcomes else Outcome(classification="already-done")


def process_many(
    factory: sessionmaker[Session], *, held: Claim, settings: Settings
) -> list[Outcome]:
    """Process claimed ledger mails in one transaction, each exactly once.

    Rows are locked in id order (no deadlocks between batches) and fenced: a mail whose
    claim another worker took over, or that is already finished, is skipped. Any error
    rolls the whole batch back; the caller then retries the mails one by one, so one
    bad mail delays only itself.
    """
    outcomes = []
    with factory() as session, session.begin():
        for inbound in jobs.lock_held(session, held):
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
    inbound.claim_token = None
    outcome.inbound_id = inbound.id
    return outcome


def _process(session: Session, inbound: InboundMail, settings: Settings) -> Outcome:
    try:
        mail, tree = read_mail(inbound.raw, limits_from(settings))
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
    return _route(session, inbound, mail, tree, settings)


def _route(session: Session, inbound: InboundMail, mail: ParsedMail, tree: Message,
           settings: Settings) -> Outcome:
    bounce = parse_bounce(inbound.raw, tree)
    if bounce is not None:
        case_id = handle_bounce(session, inbound=inbound, mail=mail, bounce=bounce)
        return Outcome(classification="bounce", case_id=case_id)
    # Our own mail is recognised by its Message-ID in the outbox, not by its domain: a
    # mailbox on a public provider shares its Message-ID domain with customers.
    robot = automatic_reason(mail, loop_header=settings.loop_header, own_domains=(),
                             own_addresses=our_addresses(settings))
    if robot is None and _is_ours(session, mail.message_id, settings):
        robot = "It is one of our own mails coming back."
    if robot is None and is_read_receipt(inbound.raw, tree):
        robot = "Read receipt"
    case = find_thread_case(session, mail=mail, prefix=settings.reference_prefix)
    identity = sender_identity(mail, settings) if case is not None else ""
    if case is not None and not is_customer_address(session, case=case, address=identity):
        outbound_ids = handle_unverified(session, inbound=inbound, mail=mail, case=case,
                                         identity=identity, robot=robot, settings=settings)
        classification = "auto-reply" if robot else "unverified-reply"
        return Outcome(classification=classification, case_id=case.id, outbound_ids=outbound_ids)
    if case is not None and robot is None and opens_new_case(
        session, case=case, text=strip_quoted(mail.text), settings=settings, now=utcnow()
    ):
        opened = open_mail_case(session, inbound=inbound, mail=mail, settings=settings,
                                follows=case)
        return Outcome(classification="complaint", case_id=opened.case.id,
                       outbound_ids=opened.outbound_ids)
    if case is not None:
        notices = handle_reply(session, inbound=inbound, mail=mail, case=case, robot=robot,
                               settings=settings)
        return Outcome(classification="auto-reply" if robot else "reply", case_id=case.id,
                       outbound_ids=notices)
    if robot is not None:
        inbound.detail = robot
        return Outcome(classification="automatic")
    return _new_mail(session, inbound, mail, settings)


def _new_mail(session: Session, inbound: InboundMail, mail: ParsedMail, settings: Settings
              ) -> Outcome:
    """A mail that answers no case: a copy of an earlier one, a scanned letter or a new
    complaint. Its claim on its Message-ID is made first, or goes with the new case's
    numbers where one statement can carry both (one round trip less per complaint)."""
    pages = letter_pages(mail, settings)
    guard = None if pages else guard_for(session, inbound)
    if guard is None:
        # No flush first: copies within this batch are caught by the Message-ID claim,
        # and earlier copies are committed. The pending rows then go out in the case's
        # flush, one statement per table instead of two.
        with session.no_autoflush:
            duplicate = earlier_copy_or_claim(session, inbound=inbound)
        if duplicate is not None:
            return _duplicate(inbound, duplicate)
    if pages:
        scan = scan_from_mail(session, inbound=inbound, mail=mail, pages=pages, settings=settings)
        return Outcome(classification="letter", scan_ids=[scan.scan_id] if scan.is_new else [])
    try:  # the claim goes with the case's numbers: one round trip for both
        opened = open_mail_case(session, inbound=inbound, mail=mail, settings=settings,
                                guard=guard)
    except Refused as refused:
        with session.no_autoflush:
            duplicate = first_copy(session, inbound, refused.answers)
        if duplicate is not None:
            return _duplicate(inbound, duplicate)
        opened = open_mail_case(session, inbound=inbound, mail=mail, settings=settings)
    return Outcome(classification="complaint", case_id=opened.case.id,
                   outbound_ids=opened.outbound_ids)


def _duplicate(inbound: InboundMail, first: Any) -> Outcome:
    """A copy of ``first`` (same Message-ID): recorded against its case, nothing opened."""
    inbound.detail = f"Same Message-ID as ledger mail #{first.id}."
    return Outcome(classification="duplicate", case_id=first.case_id)


def quarantine(inbound: InboundMail, reason: str) -> None:
    """Keep the mail and its raw bytes, and tell staff in plain words what is wrong."""
    inbound.status = "quarantined"
    inbound.quarantine_reason = reason
    log.warning("mail quarantined", extra={"inbound_id": inbound.id})


def _remember_headers(inbound: InboundMail, mail: ParsedMail) -> None:
    inbound.from_address = mail.from_address[:320]
    inbound.subject = mail.subject[:500]
    inbound.defects = list(mail.defects)
    inbound.safe_html = sanitise_html(mail.html) if mail.html else ""  # shown, never re-made


def _is_ours(session: Session, message_id: str | None, settings: Settings) -> bool:
    """True for a Message-ID we generated; only ids on one of our mailboxes' domains
    (every mailbox makes its Message-IDs on its own domain) need a look-up."""
    if not message_id:
        return False
    domain = message_id.rstrip(">").rpartition("@")[2].lower()
    if domain not in our_domains(settings):
        return False
    found = session.scalar(
        select(OutboundMail.id).where(OutboundMail.message_id == message_id).limit(1)
    )
    return found is not None
