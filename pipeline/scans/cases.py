"""A read letter becomes a case: fields, confidences, attachments and the acknowledgment.

All in the caller's transaction, through :func:`open_case`: the acknowledgment goes
by e-mail when the letter (or the customer's own mail) gives an address, otherwise
as a printed letter in the print queue; both ask for a phone number, as the users'
rule for letters says.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.cases.opening import AckThread, CaseDraft, FirstMessage, OpenedCase, open_case
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, Case, FieldConfidence, InboundMail, LetterScan
from pipeline.scans.document import DocumentText
from pipeline.scans.fields import LetterFields
from pipeline.scans.labels import field_label
from pipeline.scans.review import doubtful


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
) -> OpenedCase:
    """Create the case for a scan; returns it with the outbox ids to send after commit."""
    received = scan.received_at or utcnow()
    # A letter need not give an e-mail or an amount: only a doubtful value, or a missing
    # name or phone (which staff must find), is worth a look.
    weak = doubtful(fields.confidences())
    subject = _subject(fields)
    draft = CaseDraft(
        channel="letter",
        received_at=received,
        language=fields.language,
        message=FirstMessage(kind="letter", subject=subject, text=document.text, at=received,
                             inbound_mail_id=scan.inbound_mail_id),
        customer_name=fields.name.value,
        customer_address=fields.address.value,
        customer_email=fields.email.value or scan.from_address,
        customer_phone=fields.phone.value,
        customer_phone_written=fields.phone_written,
        phone_candidates=fields.phone_candidates,
        subject=subject,
        what_happened=fields.what_happened.value or document.text[:4000],
        demands=fields.demands,
        order_numbers=fields.orders,
        summary=fields.summary,
        attention=_attention(weak, document, fields),
        mailbox=_mailbox(session, scan),
        thread=AckThread(letter_date=fields.letter_date.value),
        received_detail={"scan_id": scan.id},
    )

    def attach(case: Case) -> None:
        session.add(FieldConfidence(case_id=case.id,
                                    fields=_stored_confidences(fields, document)))
        session.execute(update(Attachment).where(Attachment.id.in_(scan.files))
                        .values(case_id=case.id))

    return open_case(session, draft=draft, settings=settings, attach=attach)


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
