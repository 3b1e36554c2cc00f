"""A complaint mail read into a case draft, and opened through :func:`open_case`.

Here, not in the mail intake, because three callers open a case from a mail: the
intake itself, a photographed "letter" whose pictures hold no writing (the scans),
and staff splitting an unverified mail into a case of its own (sender review).

The case's address is the sender's (:func:`sender_identity`): we write only to
whoever wrote. An address the text names ("My email: ...") is only a candidate
that staff may adopt, or anyone could make us mail anyone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from config.mailboxes import mailbox_by_key
from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.cases.identity import sender_identity
from pipeline.cases.opening import AckThread, CaseDraft, FirstMessage, OpenedCase, open_case
from pipeline.cases.references import Guard
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, Case, InboundMail
from pipeline.documents.attached import DocumentLimits, complaint_text
from pipeline.documents.reasons import both
from pipeline.mail.attachments import store_attachments
from pipeline.mail.message import ParsedMail
from pipeline.text.extract import extract_fields
from pipeline.text.replies import clean_subject, strip_quoted


def open_mail_case(
    session: Session,
    *,
    inbound: InboundMail,
    mail: ParsedMail,
    settings: Settings,
    follows: Case | None = None,
    note: str = "",
    stored: Sequence[Attachment] = (),
    guard: Guard | None = None,
) -> OpenedCase:
    """Open a case from a new complaint mail and queue its acknowledgment.

    ``follows`` is a long-closed case its own customer wrote back about (the caller
    checked the sender): the new case links to it, takes only the new text of the
    reply, and copies the contact data the customer gave us there. When the mail's
    text says only "see the attachment", an attached document's text is the
    complaint. ``note`` tells staff why to look (a photo without writing); ``stored``
    are attachment rows already written for this mail (its scan pages), linked
    instead of written again. ``guard`` goes with the case's numbers (see
    :func:`open_case`).
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
    draft = CaseDraft(
        channel="email",
        received_at=received,
        language=fields.language,
        message=FirstMessage(kind="complaint", subject=mail.subject, text=text,
                             at=inbound.received_at, inbound_mail_id=inbound.id,
                             from_address=identity or mail.from_address),
        customer_name=fields.customer_name,
        customer_email=identity,
        customer_phone=fields.phone,
        customer_phone_written=fields.phone_written,
        phone_candidates=fields.phone_candidates,
        subject=clean_subject(mail.subject),
        what_happened=fields.what_happened,
        demands=fields.demands,
        order_numbers=fields.order_numbers,
        summary=fields.summary,
        attention=attention(_defect_note(mail), complaint.note, note,
                            phone_note(fields.phones_unsure)),
        mailbox=mailbox.key,
        source_message_id=inbound.message_id,
        forwarded_by=mail.forwarded_by or "",
        follows=follows,
        contact_candidate=fields.customer_email,
        thread=AckThread(mail_date=mail.date, in_reply_to=mail.message_id,
                         references=tuple(r for r in (*mail.references, mail.message_id) if r)),
    )

    def attach(case: Case) -> None:
        store_files(session, inbound=inbound, mail=mail, case=case, settings=settings,
                    stored=stored)
        if complaint.from_documents:
            record_event(session, case=case, action="document_read", by="system",
                         documents=list(complaint.from_documents))

    return open_case(session, draft=draft, settings=settings, attach=attach, guard=guard)


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


def attention(*notes: str) -> str:
    """Notes for staff, in order, joined; empty ones left out."""
    return "; ".join(note for note in notes if note)


def phone_note(unsure: tuple[str, ...]) -> str:
    """Numbers whose country the context does not settle: kept as written, for staff."""
    if not unsure:
        return ""
    shown = ", ".join(unsure[:3])
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
