"""Staff decisions on mail that named a case from an unknown address.

* Confirm the sender: the address becomes one of the customer's (audited), the mail
  counts as the customer's on the thread, and later mail from it acts on the case.
  The held mail's own effects are NOT applied afterwards (a phone number in it, an
  agreement, a score): staff read it and record them with the usual actions, because
  an answer read days later may no longer fit the case.
* Treat it as a new complaint: the mail leaves the thread and opens a case of its
  own, acknowledged to its sender like any new complaint.
* Adopt a contact candidate: an address the customer's text named becomes the one
  we write to.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.cases.customer_addresses import add_customer_address, normalise_address
from pipeline.cases.events import record_event
from pipeline.cases.from_mail import open_mail_case
from pipeline.db.models import Attachment, Case, CaseAddress, Correspondence, InboundMail
from pipeline.mail.limits import limits_from
from pipeline.mail.mime import parse_mail

UNVERIFIED_NOTE = (
    "A mail from {address}, an address not known for this customer, names this case. It"
    " changed nothing. Read it, then confirm the sender as the customer or treat it as a new"
    " complaint. 一封来自 {address} 的邮件提及本案，该地址不是本案客户的已知地址，邮件未改动"
    "任何内容。请阅读后确认发件人为客户，或将其作为新投诉处理。"
)
"""The case's attention note while an unverified mail waits for staff (set by intake)."""


class SenderReviewError(ValueError):
    """The action does not apply (message shown to staff as it is, in both languages)."""


def _unverified_mail(session: Session, case: Case, ledger_id: int) -> Correspondence:
    row = session.scalar(
        select(Correspondence).where(
            Correspondence.case_id == case.id,
            Correspondence.inbound_mail_id == ledger_id,
            Correspondence.direction == "in",
            Correspondence.verified.is_(False),
        ).with_for_update()
    )
    if row is None:
        raise SenderReviewError(
            f"Mail #{ledger_id} is not an unverified mail of case {case.reference}."
            f" 邮件 #{ledger_id} 不是案件 {case.reference} 中待确认的邮件。")
    return row


def _clear_note(case: Case, address: str) -> None:
    if case.attention == UNVERIFIED_NOTE.format(address=address or "?"):
        case.attention = ""


def confirm_sender(session: Session, *, case: Case, ledger_id: int, by: str) -> str:
    """The mail's sender is the customer; returns the address that joined the case."""
    row = _unverified_mail(session, case, ledger_id)
    address = normalise_address(row.from_address)
    if not address:
        raise SenderReviewError("The mail has no sender address to confirm."
                                " 该邮件没有可确认的发件地址。")
    row.verified = True
    add_customer_address(session, case=case, address=address, source="staff", by=by)
    record_event(session, case=case, action="unverified_mail_confirmed", by=by,
                 ledger_id=ledger_id, address=address)
    _clear_note(case, address)
    return address


def split_mail(
    session: Session, *, case: Case, ledger_id: int, by: str, settings: Settings
) -> tuple[Case, list[int]]:
    """Open a new case from the mail; returns it and the acknowledgment ids to send."""
    row = _unverified_mail(session, case, ledger_id)
    inbound = session.get(InboundMail, ledger_id)
    assert inbound is not None
    mail = parse_mail(inbound.raw, limits_from(settings))
    session.delete(row)
    session.flush()
    opened = open_mail_case(session, inbound=inbound, mail=replace(mail, attachments=()),
                            settings=settings)
    new_case = opened.case
    session.execute(update(Attachment).where(Attachment.inbound_mail_id == ledger_id,
                                             Attachment.case_id == case.id)
                    .values(case_id=new_case.id))
    inbound.case_id, inbound.classification = new_case.id, "complaint"
    record_event(session, case=case, action="unverified_mail_split", by=by,
                 ledger_id=ledger_id, new_case=new_case.reference)
    record_event(session, case=new_case, action="split_from", by=by, ledger_id=ledger_id,
                 from_case=case.reference)
    _clear_note(case, row.from_address)
    return new_case, opened.outbound_ids


def adopt_candidate(session: Session, *, case: Case, address: str, by: str) -> str:
    """Write to an address the customer named: it becomes the case's email (audited)."""
    wanted = normalise_address(address)
    found = session.scalar(select(CaseAddress).where(
        CaseAddress.case_id == case.id, CaseAddress.address == wanted))
    if found is None:
        raise SenderReviewError(f"{address} is not an address of case {case.reference}."
                                f" {address} 不是案件 {case.reference} 的地址。")
    previous = case.customer_email
    add_customer_address(session, case=case, address=wanted, source="staff", by=by)
    case.customer_email = wanted
    case.email_undeliverable = False
    record_event(session, case=case, action="customer_email_adopted", by=by,
                 address=wanted, previous=previous)
    return wanted
