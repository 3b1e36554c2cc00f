"""What each kind of mail does to the database: new case, reply, bounce.

Each handler runs inside the caller's transaction and only adds rows; the caller
commits once, so a crash anywhere leaves either all of it or none of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.mailboxes import mailbox_by_key
from config.settings import Settings
from pipeline.cases.customer_addresses import add_contact_candidate, normalise_address
from pipeline.cases.events import record_event
from pipeline.cases.references import next_reference
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, Case, Correspondence, InboundMail, OutboundMail
from pipeline.documents.attached import DocumentLimits, complaint_text
from pipeline.documents.reasons import both
from pipeline.intake.identity import sender_identity
from pipeline.mail.attachments import store_attachments
from pipeline.mail.message import BounceInfo, ExtractedFields, ParsedMail
from pipeline.outbound.ack_budget import hold
from pipeline.outbound.acknowledge import decide_acknowledgment, queue_acknowledgment
from pipeline.resolution.customer_replies import react_to_reply
from pipeline.text.extract import extract_fields, signature_block
from pipeline.text.phone_reading import read_phones
from pipeline.text.regions import phone_context
from pipeline.text.replies import clean_subject, strip_quoted
from pipeline.triage.intake import suggest_case_fields


def handle_complaint(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    settings: Settings,
    follows: Case | None = None,
    note: str = "",
    stored: Sequence[Attachment] = (),
) -> tuple[int, list[int]]:
    """Open a case from a new complaint and queue its acknowledgment.

    ``follows`` is a long-closed case its own customer wrote back about (the caller
    checked the sender): the new case links to it, takes only the new text of the
    reply, and copies the contact data the customer gave us there. When the mail's
    text says only "see the attachment", an attached document's text is the
    complaint. ``note`` tells staff why to look (a photo without writing); ``stored``
    are attachment rows already written for this mail (its scan pages), linked
    instead of written again.

    The case's address is the sender's (:func:`sender_identity`): we write only to
    whoever wrote. An address the text names ("My email: ...") is only a candidate
    that staff may adopt, or anyone could make us mail anyone.
    """
    identity = sender_identity(mail, settings)
    text = strip_quoted(mail.text) if follows is not None else mail.text
    mailbox = mailbox_by_key(settings, inbound.mailbox)
    complaint = complaint_text(text, mail.attachments, document_limits(settings))
    fields = extract_fields(
        text=complaint.text,
        subject=mail.subject,
        from_name=mail.from_name,
        from_address=mail.from_address,
        default_region=settings.phone_region,
        order_pattern=settings.order_number_pattern,
        default_language=mailbox.language,
    )
    received = inbound.received_at or utcnow()
    case = Case(
        reference=next_reference(session, prefix=settings.reference_prefix, year=received.year),
        status="new",
        channel="email",
        language=fields.language,
        received_at=received,
        customer_name=fields.customer_name,
        customer_email=identity,
        customer_phone=fields.phone,
        customer_phone_written=fields.phone_written,
        phone_candidates=list(fields.phone_candidates),
        subject=clean_subject(mail.subject)[:500],
        what_happened=fields.what_happened,
        demands=list(fields.demands),
        order_numbers=list(fields.order_numbers),
        source_message_id=inbound.message_id,
        forwarded_by=mail.forwarded_by or "",
        attention=_attention(_defect_note(mail), complaint.note, note, _phone_note(fields)),
        mailbox=mailbox.key,  # every letter about the case goes out from this mailbox
    )
    if follows is not None:
        case.follows_case_id = follows.id
        if not case.customer_phone:
            case.customer_phone = follows.customer_phone
            case.customer_phone_written = follows.customer_phone_written
        case.customer_name = case.customer_name or follows.customer_name
        case.customer_address = case.customer_address or follows.customer_address
    session.add(case)
    session.flush()
    suggest_case_fields(session, case=case, settings=settings)  # category, severity, …
    if normalise_address(fields.customer_email) != identity:
        add_contact_candidate(session, case=case, address=fields.customer_email)
    record_event(session, case=case, action="received", by="system", channel="email",
                 follows=follows.reference if follows is not None else None)
    add_incoming(session, case=case, inbound=inbound, mail=mail, kind="complaint", text=text,
                 from_address=identity)
    store_files(session, inbound=inbound, mail=mail, case=case, settings=settings, stored=stored)
    if complaint.from_documents:
        record_event(session, case=case, action="document_read", by="system",
                     documents=list(complaint.from_documents))
    outbound_ids = _acknowledge(
        session, case=case, mail=mail, summary=fields.summary, settings=settings
    )
    return case.id, outbound_ids


def _acknowledge(
    session: Session, *, case: Case, mail: ParsedMail, summary: str, settings: Settings
) -> list[int]:
    decision = decide_acknowledgment(
        session,
        settings=settings,
        to_address=case.customer_email,
        mail_date=mail.date,
        now=utcnow(),
    )
    if not decision.send:
        record_event(
            session,
            case=case,
            action="acknowledgment_suppressed",
            by="system",
            reason=decision.reason,
        )
        return []
    references = tuple(r for r in (*mail.references, mail.message_id) if r)
    outbound = queue_acknowledgment(
        session,
        settings=settings,
        case=case,
        summary=summary,
        in_reply_to=mail.message_id,
        references=references,
    )
    if decision.hold:
        hold(session, case=case, outbound=outbound, settings=settings)
        return []
    return [outbound.id]


def handle_reply(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    case: Case,
    robot: str | None,
    settings: Settings,
) -> None:
    """Thread the customer's reply into its case; a phone number in a human reply fills
    the case. The caller checked that the sender is the case's customer."""
    text = strip_quoted(mail.text)
    kind = "auto_reply" if robot else "reply"
    add_incoming(session, case=case, inbound=inbound, mail=mail, kind=kind, text=text,
                 from_address=sender_identity(mail, settings))
    store_files(session, inbound=inbound, mail=mail, case=case, settings=settings)
    record_event(session, case=case, action=f"{kind}_received", by="system")
    if robot:
        inbound.detail = robot
        return
    context = phone_context(
        from_address=mail.from_address,
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
    react_to_reply(session, case=case, text=text, settings=settings, now=utcnow())


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


def store_files(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    case: Case,
    settings: Settings,
    stored: Sequence[Attachment] = (),
) -> None:
    """Write the mail's files for the case; rows already written are linked, not copied."""
    for row in stored:
        row.case_id = case.id
    written = {row.sha256 for row in stored}
    store_attachments(
        session,
        root=Path(settings.storage_dir),
        attachments=tuple(
            item
            for item in mail.attachments
            if hashlib.sha256(item.payload).hexdigest() not in written
        ),
        inbound_mail_id=inbound.id,
        case_id=case.id,
    )


def document_limits(settings: Settings) -> DocumentLimits:
    return DocumentLimits(
        max_bytes=settings.document_max_bytes,
        max_unzipped_bytes=settings.document_max_unzipped_bytes,
        max_pages=settings.document_max_pages,
        seconds=settings.document_seconds,
    )


def _attention(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _phone_note(fields: ExtractedFields) -> str:
    """Numbers whose country the context does not settle: kept as written, for staff."""
    if not fields.phones_unsure:
        return ""
    shown = ", ".join(fields.phones_unsure[:3])
    return both(
        f"Phone number kept as the customer wrote it, its country is unclear: {shown}; "
        "check it with the customer",
        f"电话号码所属国家或地区不明，已按客户原样保留：{shown}，请与客户核实",
    )


def _defect_note(mail: ParsedMail) -> str:
    if not mail.defects:
        return ""
    return "The mail was damaged; check the text against the original: " + "; ".join(
        mail.defects[:5]
    )
