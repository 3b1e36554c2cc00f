"""Every mail a verified customer sends on an open case is seen by someone.

Filed silently, a customer's answer to a routed or proposed case waited until someone
happened to open the case. Now the case is flagged, the person handling it (or, with
nobody named, the department, or the supervisors for a case with no department) gets
a short notice with the link, and the case carries ``customer_wrote_at`` until staff
act on it: the department queue lists such cases first, marked "customer wrote".
Only the intake's verified-reply path calls this; a mail from an unknown address
goes to :mod:`pipeline.intake.unverified` and does none of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.departments import department_by_key, load_departments
from config.settings import Settings
from letters.customer_wrote import CustomerWroteNotice, render_customer_wrote
from pipeline.cases.events import record_event
from pipeline.cases.lifecycle import STATUSES
from pipeline.db.models import Case, User
from pipeline.outbound.staff_mail import case_link, queue_staff_mail

CUSTOMER_WROTE = (
    "The customer wrote again: read their mail and answer them (Reply on this page)."
    " 客户再次来信：请阅读来信并答复（本页“答复客户”）。"
)
KIND = "customer_wrote"
CLOSED = frozenset({"closed"})  # a closed case's mail reopens it or answers the survey


def _recipient(session: Session, case: Case, settings: Settings) -> tuple[str, str]:
    """Who is told, and as what: the handler, the department, or the supervisors."""
    if case.handler:
        email = session.scalar(select(User.email).where(User.username == case.handler,
                                                        User.active.is_(True)))
        if email:
            return email, "handler"
    department = department_by_key(load_departments(settings), case.department)
    if department is not None and department.email:
        return department.email, "department"
    if settings.supervisor_address:
        return settings.supervisor_address, "supervisor"
    return "", ""


def customer_wrote(
    session: Session, *, case: Case, ledger_id: int, settings: Settings, now: datetime,
    flag: bool = True, dedupe_key: str = "",
) -> list[int]:
    """Mark the open case as waiting on staff and notify them; returns the mail to send.

    ``flag`` False keeps a more specific attention note another step just set (the
    customer disagreed with the resolution, say).
    """
    if case.status in CLOSED:
        return []
    case.customer_wrote_at = now
    if flag or not case.attention:
        case.attention = CUSTOMER_WROTE
    to_address, role = _recipient(session, case, settings)
    record_event(session, case=case, action="customer_wrote", by="system", ledger_id=ledger_id,
                 notified="intake" if case.status == "new" else role or "nobody")
    if case.status == "new" or not to_address:
        return []  # a case in review is in the intake queue already
    department = department_by_key(load_departments(settings), case.department)
    en, zh = STATUSES.get(case.status, (case.status, case.status))
    subject, text = render_customer_wrote(CustomerWroteNotice(
        reference=case.reference, subject=case.subject, link=case_link(settings, case),
        status_en=en, status_zh=zh,
        department_en=department.name_en if department else "",
        department_zh=department.name_zh if department else ""))
    outbound = queue_staff_mail(session, settings=settings, case=case, kind=KIND,
                                to_address=to_address, subject=subject, text=text,
                                dedupe_key=dedupe_key or f"ledger-{ledger_id}")
    return [outbound.id]
