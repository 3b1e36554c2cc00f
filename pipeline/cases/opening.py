"""One way to open a case, whatever the channel brought the complaint.

Mail, scanned letters and complaints staff take on the phone or at the counter all
end here: each channel reads its complaint into a :class:`CaseDraft` (the record
form's fields, the customer's own words, how to thread a reply) and
:func:`open_case` gives it a reference, writes the case, its ``received`` event and
its first correspondence, and decides the acknowledgment by one rule:

* a working email address: the acknowledgment mail, through the outbox, under the
  loop rules and the hourly budget (:func:`decide_acknowledgment`);
* else a postal address: a printed acknowledgment in the print queue;
* else, for a complaint taken on the phone or in person: the member of staff
  acknowledged it there and then, recorded as ``verbal``;
* else nothing can be sent: recorded, and staff are told on the case.

Everything happens in the caller's transaction; outbox ids are returned for the
caller to hand to the senders after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from config.settings import Settings
from letters.compose import is_sendable_address
from pipeline.cases.customer_addresses import add_contact_candidate, normalise_address
from pipeline.cases.events import record_event
from pipeline.cases.references import Guard, number_case
from pipeline.db.base import utcnow
from pipeline.db.ids import give_id
from pipeline.db.models import Case, Correspondence
from pipeline.db.pending_rows import add_row
from pipeline.documents.reasons import both
from pipeline.outbound.ack_budget import hold
from pipeline.outbound.acknowledge import (
    counts_to_ask,
    decide_acknowledgment,
    keep_counts,
    queue_acknowledgment,
    refusal,
)
from pipeline.outbound.post import queue_postal_acknowledgment
from pipeline.triage.intake import record_suggestions, suggest_case_fields

CHANNELS = ("email", "letter", "phone", "visit", "other")
"""``cases.channel``: the record form's 电邮, 信函, 电话, 现场 and 其他."""
VERBAL_CHANNELS = ("phone", "visit")
"""Channels where the member of staff taking the complaint acknowledges it in person."""

NO_ADDRESS_NOTE = both(
    "No email and no postal address: no acknowledgment could be sent.",
    "没有邮箱和地址，无法发出回执。",
)


@dataclass(frozen=True)
class FirstMessage:
    """The customer's own words: the first entry of the case's correspondence."""

    kind: str  # complaint (mail), letter, phone, visit, other
    subject: str
    text: str
    at: datetime
    inbound_mail_id: int | None = None  # the ledger mail it came in, if any
    from_address: str = ""  # the sender the mail was judged on


@dataclass(frozen=True)
class AckThread:
    """How an acknowledgment by email answers the complaint."""

    mail_date: datetime | None = None  # the mail's Date: no answer to a backlog import
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    letter_date: str = ""  # the date written on a letter, quoted by the printed answer


@dataclass(frozen=True)
class CaseDraft:
    """A complaint read from any channel, before it has a reference.

    ``customer_email`` is the address we write to: for mail the sender, never an
    address the text merely names (that one is ``contact_candidate``, kept for
    staff to adopt).
    """

    channel: str
    received_at: datetime
    language: str
    message: FirstMessage
    customer_name: str = ""
    customer_email: str = ""
    customer_address: str = ""
    customer_phone: str = ""
    customer_phone_written: str = ""
    phone_candidates: tuple[str, ...] = ()
    subject: str = ""
    what_happened: str = ""
    demands: tuple[str, ...] = ()
    order_numbers: tuple[str, ...] = ()
    summary: str = ""  # restated in the acknowledgment
    attention: str = ""
    mailbox: str = "default"  # the mailbox every mail about the case goes out from
    taken_by: str = "system"  # 受理人员: the member of staff who recorded it
    source_message_id: str | None = None
    forwarded_by: str = ""
    follows: Case | None = None  # the closed case this one follows up
    contact_candidate: str = ""
    thread: AckThread = field(default_factory=AckThread)
    received_detail: Mapping[str, object] = field(default_factory=dict)  # on the event


@dataclass
class OpenedCase:
    """The new case, how it was acknowledged, and the outbox ids to send after commit."""

    case: Case
    acknowledgment: str  # email, held, post, verbal, suppressed
    outbound_ids: list[int] = field(default_factory=list)


def open_case(
    session: Session,
    *,
    draft: CaseDraft,
    settings: Settings,
    attach: Callable[[Case], None] | None = None,
    guard: Guard | None = None,
) -> OpenedCase:
    """Open the case and acknowledge it; ``attach`` links what only its channel holds
    (the mail's files, the scan's pages and confidences) before the acknowledgment.

    ``guard`` is asked with the case's numbers (see ``number_case``); when it refuses,
    ``references.Refused`` is raised before anything was added to the session.
    """
    case = _new_case(session, draft, settings, guard)
    found = suggest_case_fields(session, case=case, settings=settings)  # category, severity…
    give_id(session, case)  # its rows below are written with the transaction's next flush
    if normalise_address(draft.contact_candidate) != normalise_address(case.customer_email):
        add_contact_candidate(session, case=case, address=draft.contact_candidate)
    follows = draft.follows.reference if draft.follows is not None else None
    record_event(session, case=case, action="received", by=draft.taken_by, channel=draft.channel,
                 **({"follows": follows} if draft.channel == "email" else {}),
                 **draft.received_detail)
    record_suggestions(session, case=case, found=found)
    _add_first_message(session, case, draft.message)
    if attach is not None:
        attach(case)
    return _acknowledge(session, case=case, draft=draft, settings=settings)


def _new_case(session: Session, draft: CaseDraft, settings: Settings, guard: Guard | None
              ) -> Case:
    if draft.channel not in CHANNELS:
        raise ValueError(f"unknown channel {draft.channel!r}")
    case = Case(
        status="new",
        channel=draft.channel,
        language=draft.language,
        received_at=draft.received_at,
        customer_name=draft.customer_name[:200],
        customer_address=draft.customer_address,
        customer_email=draft.customer_email[:320],
        customer_phone=draft.customer_phone[:40],
        customer_phone_written=draft.customer_phone_written[:60],
        phone_candidates=list(draft.phone_candidates),
        subject=draft.subject[:500],
        what_happened=draft.what_happened,
        demands=list(draft.demands),
        order_numbers=list(draft.order_numbers),
        source_message_id=draft.source_message_id,
        forwarded_by=draft.forwarded_by,
        attention=draft.attention,
        mailbox=draft.mailbox,
        taken_by=draft.taken_by[:100],
    )
    _number(session, case, draft, settings, guard)
    if draft.follows is not None:
        _continue(case, draft.follows)
    return case


def _number(session: Session, case: Case, draft: CaseDraft, settings: Settings,
            guard: Guard | None) -> None:
    """Number the case; a case to acknowledge by email gets the acknowledgment limits'
    counts in the same round trip (one fewer per complaint), kept for the decision."""
    now = utcnow()
    if refusal(settings, to_address=case.customer_email, mail_date=draft.thread.mail_date,
               now=now) is not None:  # no acknowledgment by email: nothing to count
        number_case(session, case, prefix=settings.reference_prefix, year=draft.received_at.year,
                    guard=guard)
        return
    asked = counts_to_ask(session, settings=settings, to_address=case.customer_email, now=now)
    answer = number_case(session, case, prefix=settings.reference_prefix,
                         year=draft.received_at.year, along=asked, guard=guard)
    if answer is not None:
        keep_counts(session, asked, answer)


def _continue(case: Case, follows: Case) -> None:
    """A follow-up keeps the contact data the customer gave us on the case it follows."""
    case.follows_case_id = follows.id
    if not case.customer_phone:
        case.customer_phone = follows.customer_phone
        case.customer_phone_written = follows.customer_phone_written
    case.customer_name = case.customer_name or follows.customer_name
    case.customer_address = case.customer_address or follows.customer_address


def _add_first_message(session: Session, case: Case, message: FirstMessage) -> None:
    # Every column set, as on our letters: the rows go out in one INSERT per batch.
    add_row(
        session, Correspondence,
        case_id=case.id,
        direction="in",
        kind=message.kind,
        inbound_mail_id=message.inbound_mail_id,
        outbound_mail_id=None,
        subject=message.subject[:500],
        body_text=message.text,
        at=message.at or utcnow(),  # a Core INSERT writes None as NULL, not the default
        verified=True,
        from_address=message.from_address[:320],
    )


def _acknowledge(
    session: Session, *, case: Case, draft: CaseDraft, settings: Settings
) -> OpenedCase:
    """Email, else post, else verbal for phone and counter, else tell staff."""
    if is_sendable_address(case.customer_email):
        return _by_email(session, case=case, draft=draft, settings=settings)
    if case.customer_address.strip():
        queue_postal_acknowledgment(session, case=case, letter_date=draft.thread.letter_date,
                                    settings=settings)
        return OpenedCase(case, "post")
    if case.channel in VERBAL_CHANNELS:
        record_event(session, case=case, action="acknowledged_verbally", by=draft.taken_by,
                     channel=case.channel)
        return OpenedCase(case, "verbal")
    case.attention = "; ".join(note for note in (NO_ADDRESS_NOTE, case.attention) if note)
    record_event(session, case=case, action="acknowledgment_suppressed", by="system",
                 reason="No usable email or postal address.")
    return OpenedCase(case, "suppressed")


def _by_email(
    session: Session, *, case: Case, draft: CaseDraft, settings: Settings
) -> OpenedCase:
    decision = decide_acknowledgment(session, settings=settings, to_address=case.customer_email,
                                     mail_date=draft.thread.mail_date, now=utcnow())
    if not decision.send:
        record_event(session, case=case, action="acknowledgment_suppressed", by="system",
                     reason=decision.reason)
        return OpenedCase(case, "suppressed")
    outbound = queue_acknowledgment(session, settings=settings, case=case, summary=draft.summary,
                                    in_reply_to=draft.thread.in_reply_to,
                                    references=draft.thread.references)
    if decision.hold:
        hold(session, case=case, outbound=outbound, settings=settings)
        return OpenedCase(case, "held")
    return OpenedCase(case, "email", [outbound.id])
