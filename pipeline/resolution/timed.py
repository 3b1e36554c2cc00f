"""Timed work on open cases: a reminder before the deadline, escalation when it passes.

Each kind of work is two functions: one lists what is due (a cheap indexed query),
one does it for a single case in its own transaction, re-checking and marking the
row it acts on (``escalated_at``, ``follow_ups.sent_at``) so that a second scheduler,
a retried job or a restarted process never does it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.departments import Department, department_by_key
from config.settings import Settings
from letters.staff_notices import render_due_reminder, render_escalation
from pipeline.cases.events import record_event
from pipeline.db.models import Case, CaseDeadline
from pipeline.outbound.staff_mail import case_link, queue_staff_mail

OPEN_STATUSES = ("routed", "proposed", "disputed")
"""A case in these states is still waiting for the department's work to finish."""

ESCALATED = (
    "The resolution deadline has passed: a supervisor must step in."
    " 处理期限已过，需主管介入。"
)


def due_reminders(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Open cases whose reminder time has come and whose handler was not yet reminded."""
    return list(session.scalars(
        select(CaseDeadline.case_id)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(CaseDeadline.remind_at <= now, CaseDeadline.due_at > now,
               CaseDeadline.reminded_at.is_(None), Case.status.in_(OPEN_STATUSES))
        .order_by(CaseDeadline.remind_at)
        .limit(limit)
    ))


def remind(
    session: Session, *, case_id: int, settings: Settings, departments: Sequence[Department],
    now: datetime,
) -> int | None:
    """Remind the case's department of the coming deadline; returns the mail id if queued."""
    deadline = session.get(CaseDeadline, case_id, with_for_update=True)
    case = session.get(Case, case_id)
    if deadline is None or case is None or deadline.reminded_at is not None:
        return None
    if deadline.remind_at > now or deadline.due_at <= now or case.status not in OPEN_STATUSES:
        return None
    deadline.reminded_at = now
    record_event(session, case=case, action="reminded", by="system",
                 due_at=deadline.due_at.isoformat())
    department = department_by_key(departments, case.department)
    if department is None:
        return None
    notice = render_due_reminder(reference=case.reference, subject=case.subject,
                                 due_at=deadline.due_at, time_zone=settings.time_zone,
                                 link=case_link(settings, case))
    outbound = queue_staff_mail(
        session, settings=settings, case=case, kind="reminder", to_address=department.email,
        subject=notice.subject, text=notice.text,
        dedupe_key=str(deadline.changes),
    )
    return outbound.id


def due_escalations(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Cases past their deadline, still open and not yet escalated."""
    return list(session.scalars(
        select(CaseDeadline.case_id)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(CaseDeadline.due_at <= now, CaseDeadline.escalated_at.is_(None),
               Case.status.in_(OPEN_STATUSES))
        .order_by(CaseDeadline.due_at)
        .limit(limit)
    ))


def escalate(session: Session, *, case_id: int, settings: Settings, now: datetime) -> int | None:
    """Escalate one overdue case to the supervisors; returns the mail id, if one was queued."""
    deadline = session.get(CaseDeadline, case_id, with_for_update=True)
    case = session.get(Case, case_id)
    if deadline is None or case is None or deadline.escalated_at is not None:
        return None
    if deadline.due_at > now or case.status not in OPEN_STATUSES:
        return None
    deadline.escalated_at = now
    case.attention = ESCALATED
    record_event(session, case=case, action="escalated", by="system",
                 due_at=deadline.due_at.isoformat())
    if not settings.supervisor_address:
        return None
    notice = render_escalation(reference=case.reference, subject=case.subject,
                               due_at=deadline.due_at, time_zone=settings.time_zone,
                               link=case_link(settings, case))
    outbound = queue_staff_mail(
        session, settings=settings, case=case, kind="escalation",
        to_address=settings.supervisor_address, subject=notice.subject, text=notice.text,
        dedupe_key=str(deadline.changes),
    )
    return outbound.id
