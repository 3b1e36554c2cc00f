"""A read letter becomes a case: fields, confidences, attachments and the acknowledgment.

All in the caller's transaction. The acknowledgment goes by e-mail when the letter (or
the customer's own mail) gives an address, otherwise as a printed letter in the print
queue; both ask for a phone number, as the users' rule for letters says.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from config.settings import Settings
from letters.compose import is_sendable_address
from letters.pdf.acknowledgment import PostalAck, acknowledgment_content, recipient_lines
from letters.pdf.fonts import FontSource
from letters.pdf.letter import render_letters
from pipeline.cases.events import record_event
from pipeline.cases.references import next_reference
from pipeline.db.base import utcnow
from pipeline.db.models import (
    Attachment,
    Case,
    Correspondence,
    FieldConfidence,
    InboundMail,
    LetterScan,
)
from pipeline.outbound.acknowledge import decide_acknowledgment, queue_acknowledgment
from pipeline.outbound.printing import queue_print_letter
from pipeline.scans.document import DocumentText
from pipeline.scans.fields import LetterFields
from pipeline.scans.labels import field_label
from pipeline.scans.review import doubtful
from pipeline.triage.intake import suggest_case_fields


def _mailbox(session: Session, scan: LetterScan) -> str:
    """The mailbox a letter sent by mail came in by (it answers); else the default."""
    if scan.inbound_mail_id is None:
        return "default"
    inbound = session.get(InboundMail, scan.inbound_mail_id)
    return inbound.mailbox if inbound is not None else "default"


def open_letter_case(
    session: Session,
    *,
    scan: LetterScan,
    document: DocumentText,
    fields: LetterFields,
    settings: Settings,
) -> tuple[Case, list[int]]:
    """Create the case for a scan; returns it and the outbox ids to send after commit."""
    received = scan.received_at or utcnow()
    email = fields.email.value or scan.from_address
    # A letter need not give an e-mail or an amount: only a doubtful value, or a missing
    # name or phone (which staff must find), is worth a look.
    weak = doubtful(fields.confidences())
    case = Case(
        reference=next_reference(session, prefix=settings.reference_prefix, year=received.year),
        status="new",
        channel="letter",
        language=fields.language,
        received_at=received,
        customer_name=fields.name.value[:200],
        customer_address=fields.address.value,
        customer_email=email[:320],
        customer_phone=fields.phone.value,
        customer_phone_written=fields.phone_written,
        phone_candidates=list(fields.phone_candidates),
        subject=_subject(fields)[:500],
        what_happened=fields.what_happened.value or document.text[:4000],
        demands=list(fields.demands),
        order_numbers=list(fields.orders),
        attention=_attention(weak, document, fields),
        mailbox=_mailbox(session, scan),
    )
    session.add(case)
    session.flush()
    suggest_case_fields(session, case=case, settings=settings)  # category, severity, …
    session.add(FieldConfidence(case_id=case.id, fields=_stored_confidences(fields, document)))
    session.execute(update(Attachment).where(Attachment.id.in_(scan.files)).values(case_id=case.id))
    session.add(
        Correspondence(
            case_id=case.id,
            direction="in",
            kind="letter",
            inbound_mail_id=scan.inbound_mail_id,
            subject=case.subject,
            body_text=document.text,
            at=received,
        )
    )
    record_event(
        session, case=case, action="received", by="system", channel="letter", scan_id=scan.id
    )
    return case, _acknowledge(session, case=case, fields=fields, settings=settings)


def _subject(fields: LetterFields) -> str:
    return ("来信：" if fields.language == "zh" else "Letter: ") + fields.summary[:120]


def _attention(weak: list[str], document: DocumentText, fields: LetterFields) -> str:
    notes = []
    if fields.phones_unsure:
        shown = ", ".join(fields.phones_unsure[:3])
        notes.append(
            f"Phone number kept as the letter writes it, its country is unclear: {shown} / "
            f"电话号码所属国家或地区不明，已按信中原样保留：{shown}"
        )
    if weak:
        labels = "; ".join(field_label(key) for key in weak)
        notes.append(f"Check these fields against the scan / 请对照扫描件核对: {labels}")
    if any(page.timed_out for page in document.pages):
        notes.append("OCR ran out of time on a page / 有页面识别超时")
    return "; ".join(notes)


def _stored_confidences(fields: LetterFields, document: DocumentText) -> dict[str, object]:
    return {
        "fields": fields.confidences(),
        "ocr_confidence": round(document.confidence, 3),
        "letter_date": fields.letter_date.value,
        "amounts": list(fields.amounts),
        "pages": [
            {"confidence": p.confidence, "angle": p.angle, "seconds": p.seconds}
            for p in document.pages
        ],
    }


def _acknowledge(
    session: Session, *, case: Case, fields: LetterFields, settings: Settings
) -> list[int]:
    if is_sendable_address(case.customer_email):
        decision = decide_acknowledgment(
            session, settings=settings, to_address=case.customer_email, mail_date=None, now=utcnow()
        )
        if decision.send:
            outbound = queue_acknowledgment(
                session,
                settings=settings,
                case=case,
                summary=fields.summary,
                in_reply_to=None,
                references=(),
            )
            return [outbound.id]
        record_event(
            session,
            case=case,
            action="acknowledgment_suppressed",
            by="system",
            reason=decision.reason,
        )
        return []
    if not case.customer_address:
        note = (
            "The letter gives no e-mail and no postal address; no acknowledgment could be sent."
            " / 来信没有邮箱和地址，无法发出回执。"
        )
        case.attention = f"{note} {case.attention}".strip()
        record_event(
            session, case=case, action="acknowledgment_suppressed", by="system", reason="no address"
        )
        return []
    queue_postal_acknowledgment(
        session, case=case, letter_date=fields.letter_date.value, settings=settings
    )
    return []


def queue_postal_acknowledgment(
    session: Session, *, case: Case, letter_date: str, settings: Settings
) -> None:
    """Render the printed acknowledgment and put it in the print queue."""
    ack = PostalAck(
        reference=case.reference,
        language=case.language,
        customer_name=case.customer_name,
        address=case.customer_address,
        letter_date=letter_date,
        received_at=case.received_at,
        phone_on_file=case.customer_phone,
        phone_written=case.customer_phone_written,
        review_days=settings.review_days,
        company_name=settings.company_name,
        company_address=settings.company_postal_address,
        service_phone=settings.service_phone,
        time_zone=settings.time_zone,
    )
    content = acknowledgment_content(ack)
    pdf = render_letters([content], fonts=FontSource.from_settings(settings))
    queue_print_letter(
        session,
        case=case,
        kind="acknowledgment",
        language=content.language,
        recipient="\n".join(recipient_lines(case.customer_name, case.customer_address)),
        pdf=pdf,
    )
    record_event(session, case=case, action="acknowledgment_queued_for_print", by="system")
