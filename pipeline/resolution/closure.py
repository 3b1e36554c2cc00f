"""Closing a case on the customer's agreement, and what a later reply does to it.

The process closes a case only once the customer agrees with the written resolution
(today: they sign the processing form). Agreement arrives as a reply ("同意", "I
agree"), which the intake recognises, or staff record it after a phone call. After
closing, a reply within the grace period reopens the case, because the customer is
still talking about the same problem; a reply after it opens a new case linked to the
old one, so the statistics of the closed period stay true.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from config.policies import Policies
from pipeline.cases.events import record_event
from pipeline.cases.lifecycle import move
from pipeline.db.models import Case, CaseDeadline, FollowUp

AGREEMENT_CHANNELS = ("reply", "phone", "letter", "in_person")


class ClosureError(ValueError):
    """A closing step the process does not allow now; the message is for staff."""


def record_agreement(
    session: Session, *, case: Case, via: str, by: str, note: str, now: datetime,
    policies: Policies,
) -> None:
    """Record that the customer agrees with the approved resolution, and close the case."""
    if via not in AGREEMENT_CHANNELS:
        raise ClosureError(f"Unknown way of agreeing '{via}'. / 未知的同意方式。")
    if case.status != "approved":
        raise ClosureError("The customer can agree only to an approved resolution. "
                           "/ 客户只能对已批准的处理方案表示同意。")
    case.agreed_at, case.agreement_via = now, via
    record_event(session, case=case, action="customer_agreed", by=by, via=via, note=note[:2000])
    close(session, case=case, by=by, now=now, policies=policies)


def close(session: Session, *, case: Case, by: str, now: datetime, policies: Policies,
          kind: str = "agreed") -> None:
    """Close the case, note whether the deadline was kept, and plan the follow-up.

    ``kind`` is how it closed (``CLOSING_KINDS``): the statistics count each apart.
    """
    deadline = session.get(CaseDeadline, case.id)
    kept = None if deadline is None else now <= deadline.due_at
    move(session, case=case, to="closed", by=by, deadline_kept=kept, closing_kind=kind)
    case.closed_at, case.closing_kind = now, kind
    follow_up = session.get(FollowUp, case.id)
    due = now + timedelta(days=policies.follow_up_days)
    if follow_up is None:
        session.add(FollowUp(case_id=case.id, due_at=due, cancelled_reason="", comment="",
                             answered_via=""))
    elif follow_up.sent_at is None:
        # Reopened and closed again before the survey went out: ask after this closing.
        follow_up.due_at, follow_up.cancelled_reason = due, ""


def reply_after_closing(
    session: Session, *, case: Case, now: datetime, policies: Policies
) -> bool:
    """Reopen the case if the reply came within the grace period; False means too late.

    Too late, the caller opens a new case that follows this one.
    """
    if case.closed_at is None or now - case.closed_at > timedelta(days=policies.reopen_grace_days):
        return False
    move(session, case=case, to="routed", by="system", reason="customer replied after closing")
    case.closed_at, case.closing_kind = None, ""
    case.agreed_at, case.agreement_via = None, ""
    case.reopen_count += 1
    follow_up = session.get(FollowUp, case.id)
    if follow_up is not None and follow_up.sent_at is None:
        follow_up.cancelled_reason = "The case reopened before the survey was sent."
    return True
