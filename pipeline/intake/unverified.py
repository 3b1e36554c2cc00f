"""Mail that names a case but does not come from that case's customer.

References are sequential and In-Reply-To can be copied, so a stranger can name any
case. Such a mail is kept on the case's thread marked unverified, changes no field
and no status, and flags the case for staff, who confirm the sender as the customer
or treat the mail as a new complaint. Its sender gets at most a neutral
acknowledgment that says nothing about the case.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from config.settings import Settings
from letters.compose import build_message, make_message_id
from letters.neutral_ack import render_neutral_ack
from pipeline.cases.events import record_event
from pipeline.cases.from_mail import store_files
from pipeline.cases.sender_review import UNVERIFIED_NOTE
from pipeline.db.base import utcnow
from pipeline.db.models import Case, Correspondence, InboundMail, OutboundMail
from pipeline.intake.handlers import add_incoming
from pipeline.mail.message import ParsedMail
from pipeline.outbound.ack_budget import hold
from pipeline.outbound.acknowledge import decide_acknowledgment
from pipeline.text.replies import strip_quoted

NEUTRAL_ACK = "neutral_ack"


def handle_unverified(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    case: Case,
    identity: str,
    robot: str | None,
    settings: Settings,
) -> list[int]:
    """Keep the mail on the case, unverified; returns the neutral acknowledgment to send."""
    kind = "auto_reply" if robot else "reply"
    add_incoming(session, case=case, inbound=inbound, mail=mail, kind=kind,
                 text=strip_quoted(mail.text), verified=False, from_address=identity)
    store_files(session, inbound=inbound, mail=mail, case=case, settings=settings)
    record_event(session, case=case, action="unverified_mail_received", by="system",
                 address=identity, ledger_id=inbound.id, automatic=bool(robot))
    inbound.detail = robot or "Not from an address of the case's customer: kept unverified."
    if robot:
        return []  # an out-of-office changes nothing and needs no one's time
    case.attention = UNVERIFIED_NOTE.format(address=identity or "?")
    return _neutral_ack(session, inbound=inbound, mail=mail, case=case, to_address=identity,
                        settings=settings)


def _neutral_ack(
    session: Session, *, inbound: InboundMail, mail: ParsedMail, case: Case, to_address: str,
    settings: Settings,
) -> list[int]:
    now = utcnow()
    decision = decide_acknowledgment(session, settings=settings, to_address=to_address,
                                     mail_date=mail.date, now=now)
    if not decision.send:
        record_event(session, case=case, action="neutral_ack_suppressed", by="system",
                     reason=decision.reason)
        return []
    rendered = render_neutral_ack(company_name=settings.company_name,
                                  service_phone=settings.service_phone)
    message_id = make_message_id(settings.from_address.rpartition("@")[2].lower()
                                 or "complaints.invalid")
    # Threaded under the sender's own mail only: none of the case's Message-IDs.
    raw = build_message(
        from_name=settings.from_name, from_address=settings.from_address, to_name="",
        to_address=to_address, subject=rendered.subject, text=rendered.text,
        html=rendered.html, message_id=message_id, in_reply_to=mail.message_id,
        references=tuple(r for r in (mail.message_id,) if r), auto_reply=True,
        loop_header=settings.loop_header,
    )
    outbound = OutboundMail(case_id=case.id, kind=NEUTRAL_ACK, dedupe_key=f"ledger-{inbound.id}",
                            message_id=message_id, to_address=to_address,
                            subject=rendered.subject, raw=raw, auto_reply=True)
    session.add(outbound)
    session.flush()
    session.add(Correspondence(case_id=case.id, direction="out", kind=NEUTRAL_ACK,
                               outbound_mail_id=outbound.id, subject=rendered.subject,
                               body_text=rendered.text, from_address=""))
    if decision.hold:
        hold(session, case=case, outbound=outbound, settings=settings)
        return []
    return [outbound.id]
