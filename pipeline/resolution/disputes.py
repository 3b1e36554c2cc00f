"""A rejected plan goes back to be revised.

A verified customer who refuses the written notice, or answers it with questions,
puts the case in ``disputed``: back with the department, their words on the case
page. The department proposes again (a new version), approval follows the same rules,
and a revised notice names the one it replaces; every notice stays archived as sent.
At ``disputes.max_rounds`` refusals a supervisor steps in: the case is flagged, the
supervisors are mailed, and from then on every proposal needs a supervisor's approval
(the fixed policy no longer approves it by itself).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policies import Policies
from config.settings import Settings
from letters.disputes import staff_note, staff_subject
from pipeline.cases.events import record_event
from pipeline.cases.lifecycle import move
from pipeline.db.models import Case, CaseEvent
from pipeline.outbound.staff_mail import case_link, queue_staff_mail

DISPUTED = (
    "The customer does not accept the written resolution: read their words and propose again."
    " 客户不接受书面处理结果，请阅读客户意见并重新提出处理方案。"
)
DISPUTE_ESCALATED = (
    "The customer has refused the resolution again: a supervisor must step in."
    " 客户再次不接受处理结果，需主管介入。"
)

_QUESTION = re.compile(r"[?？]|吗|为什么|为何|怎么|\b(?:why|how|what|when)\b", re.IGNORECASE)


def asks_questions(text: str) -> bool:
    """Whether a reply to the notice asks something (so it is not an agreement to wait on)."""
    return _QUESTION.search(text[:2000]) is not None


def must_escalate(case: Case, policies: Policies) -> bool:
    """Whether the case has been disputed often enough that a supervisor decides."""
    return case.dispute_rounds >= policies.dispute_max_rounds


def open_dispute(
    session: Session, *, case: Case, words: str, settings: Settings, policies: Policies,
    now: datetime,
) -> int | None:
    """Send the case back to the department with the customer's words.

    Returns the supervisors' mail id when this dispute reached ``disputes.max_rounds``.
    """
    case.dispute_rounds += 1
    move(session, case=case, to="disputed", by="customer", round=case.dispute_rounds,
         words=words[:2000], at=now.isoformat())
    case.attention = DISPUTED
    if not must_escalate(case, policies):
        return None
    case.attention = DISPUTE_ESCALATED
    record_event(session, case=case, action="dispute_escalated", by="system",
                 rounds=case.dispute_rounds)
    if not settings.supervisor_address:
        return None
    outbound = queue_staff_mail(
        session, settings=settings, case=case, kind="dispute_escalation",
        to_address=settings.supervisor_address,
        subject=staff_subject("dispute_escalation", reference=case.reference,
                              subject=case.subject),
        text=staff_note("dispute_escalation", reference=case.reference,
                        rounds=case.dispute_rounds, words=words, link=case_link(settings, case)),
        dedupe_key=str(case.dispute_rounds),
    )
    return outbound.id


def dispute_words(session: Session, case: Case) -> str:
    """What the customer wrote when they last disputed the resolution ("" if never)."""
    event = session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "status")
        .where(CaseEvent.detail["status"].as_string() == "disputed")
        .order_by(CaseEvent.id.desc()).limit(1))
    return str(event.detail.get("words", "")) if event is not None else ""
