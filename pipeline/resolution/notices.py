"""Issuing the written-resolution notice: render once, archive, send or print.

The PDF is rendered from the approved resolution and stored in ``notices`` in the
same transaction as the outbox mail that carries it, so what the customer received
is exactly what the case archive shows, and a retried job finds the notice already
issued (unique per case, kind and resolution) instead of sending a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.departments import Department, department_by_key
from config.mailboxes import mailbox_by_key
from config.policies import load_policies
from config.settings import Settings
from letters.acknowledgment import letter_language
from letters.disputes import revision_line
from letters.formatting import format_date, local_time
from letters.notice_mail import render_notice_mail
from letters.pdf.fonts import FontSource, settings_font
from letters.pdf.layout import Sender
from letters.pdf.processing_form import render_processing_form
from letters.pdf.resolution_notice import ResolutionNotice, render_resolution_notice
from pipeline.cases.events import record_event
from pipeline.cases.forms import processing_form
from pipeline.cases.responsible import contact_name
from pipeline.db.models import Case, CaseEvent, Notice, Resolution
from pipeline.links.status import status_url
from pipeline.outbound.case_mail import can_email, queue_case_mail
from pipeline.outbound.post import queue_post
from pipeline.resolution.proposals import current_proposal
from pipeline.resolution.silence import start_waiting


def sender(settings: Settings, mailbox_key: str | None = None) -> Sender:
    """Our letterhead, with the name and address of the case's mailbox."""
    mailbox = mailbox_by_key(settings, mailbox_key)
    return Sender(company=settings.company_name, department=mailbox.from_name,
                  address=settings.company_postal_address, phone=settings.service_phone,
                  email=mailbox.from_address)


def recipient_lines(case: Case) -> list[str]:
    """The window-envelope address: the name, then the postal address or the email."""
    lines = [line.strip() for line in case.customer_address.splitlines() if line.strip()]
    return [case.customer_name or case.customer_email, *(lines or [case.customer_email])]


def _notice(case: Case, resolution: Resolution, settings: Settings, department_name: str,
            language: str, now: datetime, revises: str = "",
            handler_name: str = "") -> ResolutionNotice:
    def day(moment: datetime) -> str:
        return format_date(local_time(moment, settings.time_zone), language)

    return ResolutionNotice(
        reference=case.reference, language=language, customer_name=case.customer_name,
        recipient_lines=recipient_lines(case), received=day(case.received_at), issued=day(now),
        department_name=department_name,
        answers=[(a["point"], a["answer"]) for a in resolution.answers],
        findings=resolution.findings, method=resolution.method,
        compensation_amount=resolution.compensation_amount, next_steps=resolution.next_steps,
        # The contact the proposal named, else the person responsible for the case.
        contact_person=resolution.contact_person or handler_name,
        sender=sender(settings, case.mailbox),
        status_url=status_url(settings, case.id),
        revises=revises,
    )


def _earlier_notices(session: Session, case: Case) -> list[Notice]:
    """The case's resolution notices issued so far, oldest first."""
    return list(session.scalars(select(Notice).where(
        Notice.case_id == case.id, Notice.kind == "resolution").order_by(Notice.id)))


def _revision(earlier: Sequence[Notice], language: str, settings: Settings) -> str:
    """The sentence a revised notice opens with ("" for the first notice)."""
    if not earlier:
        return ""
    previous = earlier[-1]
    return revision_line(
        language=language, number=len(earlier) + 1, previous_number=len(earlier),
        previous_date=format_date(local_time(previous.created_at, settings.time_zone), language))


def issue_resolution_notice(
    session: Session, *, case: Case, resolution: Resolution, settings: Settings,
    department_name: str, now: datetime,
) -> Notice:
    """Archive the notice for an approved resolution and send it (or ask for printing)."""
    if resolution.status != "approved":
        raise ValueError("Only an approved resolution is sent to the customer.")
    existing = session.scalar(select(Notice).where(
        Notice.case_id == case.id, Notice.kind == "resolution",
        Notice.resolution_id == resolution.id))
    if existing is not None:
        return existing
    language = letter_language(case.language)
    earlier = _earlier_notices(session, case)
    revises = _revision(earlier, language, settings)
    pdf = render_resolution_notice(
        _notice(case, resolution, settings, department_name, language, now, revises,
                contact_name(session, case.handler)),
        font=settings_font(settings).name,
    )
    # Each notice keeps its own file name: a revision never overwrites the one before.
    number = len(earlier) + 1
    filename = f"{case.reference}-resolution{f'-v{number}' if number > 1 else ''}.pdf"
    notice = Notice(case_id=case.id, kind="resolution", resolution_id=resolution.id,
                    language=language, filename=filename, pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                    delivery="email" if can_email(case) else "post", created_at=now)
    session.add(notice)
    session.flush()
    if notice.delivery == "email":
        rendered = render_notice_mail(reference=case.reference, language=language,
                                      customer_name=case.customer_name,
                                      company_name=settings.company_name,
                                      status_url=status_url(settings, case.id),
                                      revises=revises)
        outbound = queue_case_mail(
            session, settings=settings, case=case, kind="resolution_notice", rendered=rendered,
            dedupe_key=str(resolution.id), attachments=[(filename, "application/pdf", pdf)],
        )
        notice.outbound_mail_id = outbound.id
    else:
        queue_post(session, case=case, settings=settings,
                   kind=f"resolution_notice-{resolution.version}", pdf=pdf)
    start_waiting(session, notice=notice, policies=load_policies(settings), now=now)
    record_event(session, case=case, action="notice_issued", by="system", notice=notice.id,
                 delivery=notice.delivery, sha256=notice.sha256, number=number,
                 revises=earlier[-1].id if earlier else None)
    return notice


def _routing_event(session: Session, case: Case) -> CaseEvent | None:
    return session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "status")
        .where(CaseEvent.detail["status"].as_string() == "routed")
        .order_by(CaseEvent.id.desc()).limit(1))


def archive_processing_form(
    session: Session, *, case: Case, settings: Settings, departments: Sequence[Department],
    customer_opinion: str, now: datetime,
) -> Notice | None:
    """File the completed processing form (客户投诉处理单) with the closed case.

    It records what the paper form did at closing: the result, and the opinions of the
    receiving staff (their routing note), the department (its findings and the
    supervisor's instructions) and the customer (their agreement, in their words).
    """
    resolution = current_proposal(session, case)
    if resolution is None or resolution.status != "approved":
        return None
    existing = session.scalar(select(Notice).where(
        Notice.case_id == case.id, Notice.kind == "processing_form",
        Notice.resolution_id == resolution.id))
    if existing is not None:
        return existing
    routed = _routing_event(session, case)
    opened = processing_form(
        case, department=department_by_key(departments, case.department),
        routed_by=routed.actor if routed else "", routed_at=routed.at if routed else None,
        opinion=str(routed.detail.get("opinion", "")) if routed else "")
    form = replace(
        opened,
        department_opinion="\n".join(x for x in (resolution.findings,
                                                  resolution.decision_note) if x),
        customer_opinion=customer_opinion,
        result="\n".join(x for x in (resolution.method, resolution.next_steps) if x),
        handling_date=now.date(),
    )
    pdf = render_processing_form(form, fonts=FontSource.from_settings(settings))
    notice = Notice(case_id=case.id, kind="processing_form", resolution_id=resolution.id,
                    language=case.language, filename=f"{case.reference}-processing-form.pdf",
                    pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), delivery="archive",
                    created_at=now)
    session.add(notice)
    return notice
