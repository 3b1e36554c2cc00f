"""Read models for the CLI and scripts: stable, documented shapes (see README, JSON output)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pipeline.cases.customer_addresses import case_addresses
from pipeline.cases.history import related_cases
from pipeline.db.models import (
    Attachment,
    Case,
    CaseDeadline,
    CaseEvent,
    Correspondence,
    InboundMail,
    LetterScan,
    OutboundMail,
    PrintLetter,
)

_PRINTED_ACK = (
    select(PrintLetter.status)
    .where(PrintLetter.case_id == Case.id, PrintLetter.kind == "acknowledgment")
    .correlate(Case)
    .scalar_subquery()
)
_VERBAL_ACK = (
    exists()
    .where(CaseEvent.case_id == Case.id, CaseEvent.action == "acknowledged_verbally")
    .correlate(Case)
)


def acknowledgment_label(mail: str | None, printed: str | None, verbal: bool) -> str:
    """How the customer was acknowledged: the mail's state, the printed letter's, or
    ``verbal`` (on the phone or at the counter, by the member of staff taking it)."""
    if mail:
        return mail
    if printed:
        return "printed" if printed == "printed" else "print_waiting"
    return "verbal" if verbal else "none"


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    status: str
    channel: str
    language: str
    received_at: str
    customer_name: str
    customer_email: str
    customer_phone: str
    subject: str
    demands: list[str]
    order_numbers: list[str]
    # none / pending / sending / sent / failed / held (email), print_waiting / printed
    # (post), verbal (on the phone or at the counter)
    acknowledgment: str
    attention: str
    mailbox: str  # key of the mailbox it came in by, which answers it
    department: str | None  # key in the departments file, once routed
    handler: str | None  # the staff user name responsible, once assigned
    deadline: str | None  # the resolution deadline, an ISO date in the company's time zone

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QuarantinedMail:
    """Something kept without a case: a mail, or a scanned letter that could not be read."""

    ledger_id: int | None  # the mail's ledger id; a scan from the scan folder has none
    status: str  # quarantined / failed
    received_at: str
    from_address: str
    subject: str
    quarantine_reason: str
    size: int
    sha256: str
    kind: str = "mail"  # mail / scan
    scan_id: int | None = None
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _day(due_at: datetime | None, time_zone: str) -> str | None:
    return due_at.astimezone(ZoneInfo(time_zone)).date().isoformat() if due_at else None


def _summary(case: Case, ack_status: str, due_at: datetime | None = None,
             time_zone: str = "UTC") -> CaseSummary:
    return CaseSummary(
        reference=case.reference,
        status=case.status,
        channel=case.channel,
        language=case.language,
        received_at=case.received_at.isoformat(),
        customer_name=case.customer_name,
        customer_email=case.customer_email,
        customer_phone=case.customer_phone,
        subject=case.subject,
        demands=list(case.demands),
        order_numbers=list(case.order_numbers),
        acknowledgment=ack_status,
        attention=case.attention,
        mailbox=case.mailbox,
        department=case.department,
        handler=case.handler,
        deadline=_day(due_at, time_zone),
    )


def list_cases(
    session: Session, *, status: str | None = None, limit: int = 200, time_zone: str = "UTC"
) -> list[CaseSummary]:
    """Cases oldest first, optionally of one status."""
    query = (
        select(Case, OutboundMail.status, _PRINTED_ACK, _VERBAL_ACK, CaseDeadline.due_at)
        .outerjoin(
            OutboundMail,
            (OutboundMail.case_id == Case.id) & (OutboundMail.kind == "acknowledgment"),
        )
        .outerjoin(CaseDeadline, CaseDeadline.case_id == Case.id)
        .order_by(Case.received_at, Case.id)
        .limit(limit)
    )
    if status:
        query = query.where(Case.status == status)
    return [_summary(case, acknowledgment_label(mail, printed, verbal), due, time_zone)
            for case, mail, printed, verbal, due in session.execute(query)]


def list_quarantined(session: Session, *, limit: int = 200) -> list[QuarantinedMail]:
    """Everything kept but not turned into work, mail and scans, oldest first.

    The one quarantine view: a scanned letter OCR could not read (or gave up on) is
    listed here with its reason, not only among the scans.
    """
    found = _quarantined_mail(session, limit) + _quarantined_scans(session, limit)
    return sorted(found, key=lambda row: row.received_at)[:limit]


def _quarantined_scans(session: Session, limit: int) -> list[QuarantinedMail]:
    rows = session.execute(
        select(LetterScan, InboundMail.subject)
        .outerjoin(InboundMail, InboundMail.id == LetterScan.inbound_mail_id)
        .where(LetterScan.status.in_(["quarantined", "failed"]), LetterScan.case_id.is_(None))
        .order_by(LetterScan.id)
        .limit(limit)
    ).all()
    wanted = [file_id for scan, _ in rows for file_id in scan.files]
    found = session.execute(select(Attachment.id, Attachment.size).where(Attachment.id.in_(wanted)))
    sizes = {file_id: size for file_id, size in found}
    return [
        QuarantinedMail(
            ledger_id=scan.inbound_mail_id,
            status=scan.status,
            received_at=scan.received_at.isoformat(),
            from_address=scan.from_address,
            subject=subject or "",
            quarantine_reason=scan.quarantine_reason,
            size=sum(sizes.get(file_id, 0) for file_id in scan.files),
            sha256=scan.sha256,
            kind="scan",
            scan_id=scan.id,
            source=scan.source,
        )
        for scan, subject in rows
    ]


def _quarantined_mail(session: Session, limit: int) -> list[QuarantinedMail]:
    rows = session.scalars(
        select(InboundMail)
        .where(InboundMail.status.in_(["quarantined", "failed"]))
        .order_by(InboundMail.id)
        .limit(limit)
    )
    return [
        QuarantinedMail(
            ledger_id=row.id,
            status=row.status,
            received_at=row.received_at.isoformat(),
            from_address=row.from_address,
            subject=row.subject,
            quarantine_reason=row.quarantine_reason,
            size=row.size,
            sha256=row.sha256,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class LedgerMail:
    ledger_id: int
    status: str  # received / processed / quarantined / failed
    classification: (
        str  # complaint / reply / auto-reply / automatic / bounce / duplicate / unreadable
    )
    received_at: str
    from_address: str
    subject: str
    detail: str  # why it was classified so (e.g. the header that marked it automatic)
    case_reference: str
    mailbox: str  # key of the mailbox it came in by

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_ledger(
    session: Session, *, classification: str | None = None, limit: int = 200
) -> list[LedgerMail]:
    """Every mail taken in, newest first: staff check here that no complaint was missed."""
    query = (
        select(InboundMail, Case.reference)
        .outerjoin(Case, Case.id == InboundMail.case_id)
        .order_by(InboundMail.id.desc())
        .limit(limit)
    )
    if classification:
        query = query.where(InboundMail.classification == classification)
    return [
        LedgerMail(
            ledger_id=row.id,
            status=row.status,
            classification=row.classification,
            received_at=row.received_at.isoformat(),
            from_address=row.from_address,
            subject=row.subject,
            detail=row.detail or row.quarantine_reason,
            case_reference=reference or "",
            mailbox=row.mailbox,
        )
        for row, reference in session.execute(query)
    ]




def case_detail(
    session: Session, reference: str, *, time_zone: str = "UTC"
) -> dict[str, Any] | None:
    """One case with its thread and audit trail, as plain data."""
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        return None
    deadline = session.get(CaseDeadline, case.id)
    detail = _summary(case, acknowledgment_state(session, case),
                      deadline.due_at if deadline else None, time_zone).to_json()
    detail.update(
        category=case.category,
        severity=case.severity,
        product=case.product,
        quantity=case.quantity,
        taken_by=case.taken_by,
        related_cases=[r.reference for r in related_cases(session, case, scope=None)],
        customer_address=case.customer_address,
        what_happened=case.what_happened,
        phone_candidates=list(case.phone_candidates),
        email_undeliverable=case.email_undeliverable,
        forwarded_by=case.forwarded_by,
        closing_kind=case.closing_kind,  # agreed / no_reply once closed ("" otherwise)
        dispute_rounds=case.dispute_rounds,  # times the customer refused a notice
        customer_addresses=[a.to_json() for a in case_addresses(session, case)],
        correspondence=[_letter(c) for c in _thread(session, case.id)],
        events=[_event(e) for e in _events(session, case.id)],
    )
    return detail


def acknowledgment_state(session: Session, case: Case) -> str:
    """One case's acknowledgment, as ``cases show`` and the case page show it."""
    mail = session.scalar(select(OutboundMail.status).where(
        OutboundMail.case_id == case.id, OutboundMail.kind == "acknowledgment"))
    found = session.execute(select(_PRINTED_ACK, _VERBAL_ACK).select_from(Case)
                            .where(Case.id == case.id)).one()
    return acknowledgment_label(mail, found[0], bool(found[1]))


def _thread(session: Session, case_id: int) -> list[Correspondence]:
    return list(
        session.scalars(
            select(Correspondence)
            .where(Correspondence.case_id == case_id)
            .order_by(Correspondence.id)
        )
    )


def _events(session: Session, case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


def _letter(item: Correspondence) -> dict[str, Any]:
    return {
        "direction": item.direction,
        "kind": item.kind,
        "at": item.at.isoformat(),
        "subject": item.subject,
        "text": item.body_text,
        "verified": item.verified,
        "ledger_id": item.inbound_mail_id,
        "from_address": item.from_address,
    }


def _event(item: CaseEvent) -> dict[str, Any]:
    return {
        "at": item.at.isoformat(),
        "by": item.actor,
        "action": item.action,
        "detail": item.detail,
    }
