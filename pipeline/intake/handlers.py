"""What a reply or a bounce does to its case (a new complaint opens one through
:mod:`pipeline.cases.from_mail`).

Each handler runs inside the caller's transaction and only adds rows; the caller
commits once, so a crash anywhere leaves either all of it or none of it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.cases.from_mail import store_files
from pipeline.cases.identity import sender_identity
from pipeline.conversation.customer_wrote import customer_wrote
from pipeline.db.base import utcnow
from pipeline.db.models import Case, Correspondence, InboundMail, OutboundMail
from pipeline.mail.message import BounceInfo, ParsedMail
from pipeline.resolution.customer_replies import react_to_reply
from pipeline.text.extract import signature_block
from pipeline.text.phone_reading import read_phones
from pipeline.text.regions import phone_context
from pipeline.text.replies import strip_quoted


def handle_reply(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    case: Case,
    robot: str | None,
    settings: Settings,
) -> list[int]:
    """Thread the customer's reply into its case; a phone number in a human reply fills
    the case. The caller checked that the sender is the case's customer. Returns the
    staff notice to send (:func:`customer_wrote`)."""
    text = strip_quoted(mail.text)
    kind = "auto_reply" if robot else "reply"
    add_incoming(session, case=case, inbound=inbound, mail=mail, kind=kind, text=text,
                 from_address=sender_identity(mail, settings))
    store_files(session, inbound=inbound, mail=mail, case=case, settings=settings)
    record_event(session, case=case, action=f"{kind}_received", by="system")
    if robot:
        inbound.detail = robot
        return []
    capture_phone(session, case=case, text=text, from_address=mail.from_address,
                  settings=settings)
    reaction = react_to_reply(session, case=case, text=text, settings=settings, now=utcnow())
    # Issue 12: every verified mail on an open case is seen (flag, notice, queue badge).
    return customer_wrote(session, case=case, ledger_id=inbound.id, settings=settings,
                          now=utcnow(), flag=reaction == "none")


def capture_phone(
    session: Session, *, case: Case, text: str, from_address: str, settings: Settings
) -> None:
    """A phone number in the customer's verified reply fills (or replaces) the case's."""
    context = phone_context(
        from_address=from_address,
        address_text=f"{case.customer_address}\n{signature_block(text)}",
        text=text,
        language=case.language,
        fallback=settings.phone_region,
    )
    reading = read_phones(text, context)
    phones = reading.phones
    if phones and phones[0] != case.customer_phone:
        previous = case.customer_phone
        case.customer_phone = phones[0]
        case.customer_phone_written = next(
            (n.written for n in reading.numbers if n.e164 == phones[0]), ""
        )[:60]
        case.phone_candidates = list(dict.fromkeys([*phones, *case.phone_candidates]))
        record_event(
            session, case=case, action="phone_captured", by="system", replaced=bool(previous)
        )


def handle_bounce(
    session: Session, *, inbound: InboundMail, mail: ParsedMail, bounce: BounceInfo
) -> int | None:
    """Link a bounce to the case whose mail bounced, and mark the address undeliverable."""
    case_id = None
    if bounce.original_message_id:
        case_id = session.scalar(
            select(OutboundMail.case_id).where(
                OutboundMail.message_id == bounce.original_message_id
            )
        )
    inbound.detail = bounce.diagnostic[:2000]
    if case_id is None:
        return None
    case = session.get(Case, case_id)
    assert case is not None
    add_incoming(session, case=case, inbound=inbound, mail=mail, kind="bounce", text=mail.text)
    if bounce.permanent:
        case.email_undeliverable = True
        case.attention = "Our mail to the customer bounced; the address does not work."
    record_event(
        session, case=case, action="bounce_received", by="system", permanent=bounce.permanent
    )
    return case.id


def add_incoming(
    session: Session, *, case: Case, inbound: InboundMail, mail: ParsedMail, kind: str, text: str,
    verified: bool = True, from_address: str = "",
) -> None:
    """Put an incoming mail on the case's thread (``verified`` False: not the customer's)."""
    session.add(
        Correspondence(
            case_id=case.id,
            direction="in",
            kind=kind,
            inbound_mail_id=inbound.id,
            subject=mail.subject[:500],
            body_text=text,
            at=inbound.received_at,
            verified=verified,
            from_address=from_address or mail.from_address[:320],
        )
    )
