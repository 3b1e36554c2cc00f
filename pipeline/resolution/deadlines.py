"""Resolution deadlines: set when a case is routed, moved only with a reason.

The customer is told the date in the same transaction that sets it, so a deadline
nobody told the customer about cannot exist. Dates are counted in working days from
the handling policies (category and severity), on the company's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from config.policies import Policies
from config.settings import Settings
from letters.deadline import DeadlineLetter, render_deadline
from pipeline.cases.events import record_event
from pipeline.db.models import Case, CaseDeadline
from pipeline.deadlines.calendar import deadline_at
from pipeline.links.status import status_url
from pipeline.outbound.case_mail import can_email, queue_case_mail
from pipeline.outbound.post import queue_post


class DeadlineError(ValueError):
    """A deadline change the process does not allow; the message is for staff."""


@dataclass(frozen=True)
class Handler:
    """Who handles the case, as the customer is told: department and contact person."""

    department_name: str  # in the customer's language
    contact_name: str = ""
    third_party: str = ""


def _times(
    start: datetime, working_days: int, policies: Policies, settings: Settings
) -> tuple[datetime, datetime]:
    """When the deadline ends, and when the handler is reminded before it."""
    def at(days: int) -> datetime:
        return deadline_at(start, days, policies.calendar, time_zone=settings.time_zone,
                           end_of_day_hour=policies.end_of_day_hour)

    due = at(working_days)
    remind = at(max(0, working_days - policies.remind_working_days_before))
    return due, min(remind, due)


def set_deadline(
    session: Session,
    *,
    case: Case,
    settings: Settings,
    policies: Policies,
    handler: Handler,
    by: str,
    now: datetime,
) -> CaseDeadline:
    """Give a routed case its deadline from the policies and tell the customer."""
    if session.get(CaseDeadline, case.id) is not None:
        raise DeadlineError("This case already has a deadline; move it with a reason instead. "
                            "/ 此案件已有期限，请说明理由后调整。")
    working_days = policies.working_days_for(case.category, case.severity)
    due, remind = _times(now, working_days, policies, settings)
    deadline = CaseDeadline(case_id=case.id, due_at=due, remind_at=remind,
                            working_days=working_days, set_by=by, set_at=now, reason="",
                            changes=0)
    session.add(deadline)
    record_event(session, case=case, action="deadline_set", by=by, due_at=due.isoformat(),
                 working_days=working_days, category=case.category, severity=case.severity)
    _tell_customer(session, case=case, settings=settings, handler=handler, deadline=deadline,
                   previous=None, dedupe_key="1")
    return deadline


def move_deadline(
    session: Session,
    *,
    case: Case,
    settings: Settings,
    policies: Policies,
    handler: Handler,
    new_working_days: int,
    reason: str,
    by: str,
    now: datetime,
) -> CaseDeadline:
    """Move the deadline to ``new_working_days`` from now; the customer is told why."""
    deadline = session.get(CaseDeadline, case.id, with_for_update=True)
    if deadline is None:
        raise DeadlineError("This case has no deadline yet; it gets one when it is routed. "
                            "/ 此案件还没有期限，分派时才会设定。")
    if not reason.strip():
        raise DeadlineError("Say why the deadline moves: the customer is told the reason. "
                            "/ 请说明调整期限的理由，客户会收到。")
    if new_working_days < 1:
        raise DeadlineError("The new deadline must be at least one working day away. "
                            "/ 新期限至少要在一个工作日之后。")
    previous = deadline.due_at
    due, remind = _times(now, new_working_days, policies, settings)
    deadline.due_at, deadline.remind_at = due, remind
    deadline.working_days = new_working_days
    deadline.reason = reason.strip()
    deadline.set_by, deadline.set_at = by, now
    deadline.changes += 1
    deadline.reminded_at = None  # the new date gets its own reminder and escalation
    deadline.escalated_at = None
    record_event(session, case=case, action="deadline_moved", by=by, previous=previous.isoformat(),
                 due_at=due.isoformat(), reason=deadline.reason)
    _tell_customer(session, case=case, settings=settings, handler=handler, deadline=deadline,
                   previous=previous, dedupe_key=str(deadline.changes + 1))
    return deadline


def _tell_customer(
    session: Session,
    *,
    case: Case,
    settings: Settings,
    handler: Handler,
    deadline: CaseDeadline,
    previous: datetime | None,
    dedupe_key: str,
) -> None:
    letter = DeadlineLetter(
        reference=case.reference,
        language=case.language,
        customer_name=case.customer_name,
        department_name=handler.department_name,
        contact_name=handler.contact_name,
        deadline=deadline.due_at,
        time_zone=settings.time_zone,
        company_name=settings.company_name,
        service_phone=settings.service_phone,
        third_party=handler.third_party,
        changed=previous is not None,
        previous_deadline=previous,
        reason=deadline.reason,
        status_url=status_url(settings, case.id),
    )
    kind = "deadline_moved" if previous else "deadline"
    if can_email(case):
        queue_case_mail(session, settings=settings, case=case, kind=kind,
                        rendered=render_deadline(letter), dedupe_key=dedupe_key)
        return
    # No usable email address: the letter goes by post (one print per deadline change).
    queue_post(session, case=case, settings=settings, kind=f"{kind}-{dedupe_key}",
               rendered=render_deadline(replace(letter, post=True)))
