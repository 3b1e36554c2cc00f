"""Review can be undone: a routed case goes back to review, with a reason.

Intake staff or a supervisor who routed a case to the wrong department send it back;
the department it leaves is told by mail, the case waits in the review queue again
(``routed`` → ``new``), and the audit trail records who did it and why. The deadline
the customer was told stands: it is our promise, whoever handles the case, so routing
it again keeps it instead of writing to the customer a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.departments import Department, department_by_key
from config.settings import Settings
from letters.disputes import staff_note, staff_subject
from pipeline.cases.events import record_event
from pipeline.cases.lifecycle import move
from pipeline.db.models import Case, CaseEvent, User
from pipeline.outbound.staff_mail import case_link, queue_staff_mail

UNROUTE_ROLES = frozenset({"intake", "supervisor", "admin"})
"""Who may send a case back to review (the console's "review" action, console/roles.py)."""

SENT_BACK = "Sent back to review: route it again. 已退回审核，请重新分派。"


class UnrouteError(ValueError):
    """A send-back the process does not allow; the message is for staff."""


def staff_may_unroute(session: Session, username: str) -> bool:
    """Whether this active account (for the CLI's ``--by``) may send cases back to review."""
    user = session.scalar(select(User).where(User.username == username))
    return user is not None and user.active and user.role in UNROUTE_ROLES


def times_unrouted(session: Session, case: Case) -> int:
    """How often the case was sent back to review (routing again notifies afresh)."""
    return session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.action == "unrouted")) or 0


def unroute(
    session: Session, *, case: Case, reason: str, settings: Settings,
    departments: Sequence[Department], by: str, now: datetime,
) -> list[int]:
    """Send a routed case back to review; returns the department's notification mail id."""
    if case.status != "routed":
        raise UnrouteError("Only a case with its department (not yet proposed) can go back to "
                           "review. / 只有已分派、尚未提出方案的案件才能退回审核。")
    if not reason.strip():
        raise UnrouteError("Say why the case goes back to review: the department reads it. "
                           "/ 请写明退回审核的原因，部门会看到。")
    department = department_by_key(departments, case.department)
    previous = case.department
    move(session, case=case, to="new", by=by, reason=reason.strip()[:2000],
         department=previous)
    count = times_unrouted(session, case) + 1
    record_event(session, case=case, action="unrouted", by=by, department=previous,
                 reason=reason.strip()[:2000], at=now.isoformat())
    case.department, case.handler, case.attention = None, None, SENT_BACK
    if department is None:
        return []
    outbound = queue_staff_mail(
        session, settings=settings, case=case, kind="department_unrouted",
        to_address=department.email,
        subject=staff_subject("unrouted", reference=case.reference, subject=case.subject),
        text=staff_note("unrouted", by=by, reference=case.reference,
                        department_en=department.name_en, department_zh=department.name_zh,
                        reason=reason.strip(), link=case_link(settings, case)),
        dedupe_key=str(count),
    )
    return [outbound.id]
