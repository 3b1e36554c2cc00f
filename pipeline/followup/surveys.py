"""The satisfaction follow-up: sent once, about a week after closing, answered once.

The row in ``follow_ups`` is the schedule and the record. The scheduler lists the
due ones; sending locks the row, re-checks it and marks it sent in the transaction
that queues the mail, so two schedulers or a retried job never send it twice. A case
that reopened before the survey went out has its follow-up cancelled; one closed again
gets a fresh due date (see ``pipeline.resolution.closure``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from letters.survey import SurveyLetter, render_survey
from pipeline.cases.events import record_event
from pipeline.db.models import Case, FollowUp
from pipeline.followup.links import sign_survey_answer
from pipeline.links.status import status_url
from pipeline.outbound.case_mail import can_email, queue_case_mail

ANSWER_CHANNELS = ("link", "reply", "phone")
ASK_BY_PHONE = "No working email address: ask the customer by phone."
"""Why a survey was not mailed; staff call the customer and record the answer."""


def _answerable(follow_up: FollowUp | None) -> bool:
    """Asked (by mail, or due to be asked by phone) and not answered yet."""
    return (follow_up is not None and follow_up.score is None
            and (follow_up.sent_at is not None or follow_up.cancelled_reason == ASK_BY_PHONE))


def due_follow_ups(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Case ids whose survey is due and not yet sent or cancelled."""
    return list(session.scalars(
        select(FollowUp.case_id)
        .join(Case, Case.id == FollowUp.case_id)
        .where(FollowUp.due_at <= now, FollowUp.sent_at.is_(None),
               FollowUp.cancelled_reason == "", Case.status == "closed")
        .order_by(FollowUp.due_at)
        .limit(limit)
    ))


def send_follow_up(
    session: Session, *, case_id: int, settings: Settings, secret: str, survey_url: str,
    now: datetime,
) -> int | None:
    """Queue the survey mail for one case; returns the outbox id, or None if not sent.

    ``survey_url`` is the public address of the survey page; each score's signed token
    is appended to it.
    """
    follow_up = session.get(FollowUp, case_id, with_for_update=True)
    case = session.get(Case, case_id)
    if follow_up is None or case is None or follow_up.sent_at is not None:
        return None
    if follow_up.cancelled_reason or case.status != "closed" or case.closed_at is None:
        return None
    if not can_email(case):
        follow_up.cancelled_reason = ASK_BY_PHONE
        record_event(session, case=case, action="follow_up_by_phone_needed", by="system")
        return None
    base = survey_url.rstrip("/") + "/"
    links = {score: base + sign_survey_answer(case.reference, score, secret=secret,
                                              round=case.reopen_count)
             for score in range(1, 6)}
    letter = SurveyLetter(reference=case.reference, language=case.language,
                          customer_name=case.customer_name, closed_at=case.closed_at,
                          time_zone=settings.time_zone, links=links,
                          company_name=settings.company_name,
                          status_url=status_url(settings, case.id))
    outbound = queue_case_mail(session, settings=settings, case=case, kind="survey",
                               rendered=render_survey(letter),
                               dedupe_key=f"{case.reopen_count}")
    follow_up.sent_at, follow_up.outbound_mail_id = now, outbound.id
    record_event(session, case=case, action="follow_up_sent", by="system")
    return outbound.id


def awaiting_answer(session: Session, case: Case) -> bool:
    """Whether the customer was asked (or is to be asked by phone) and has not answered."""
    return _answerable(session.get(FollowUp, case.id))


def record_answer(
    session: Session, *, case: Case, score: int, comment: str, via: str, now: datetime
) -> bool:
    """Store the customer's score; the first answer counts, later ones are ignored."""
    if via not in ANSWER_CHANNELS or not 1 <= score <= 5:
        raise ValueError("A survey answer is a score from 1 to 5, by link, reply or phone.")
    follow_up = session.get(FollowUp, case.id, with_for_update=True)
    if follow_up is None or not _answerable(follow_up):
        return False
    follow_up.score, follow_up.comment = score, comment[:4000]
    follow_up.answered_at, follow_up.answered_via = now, via
    record_event(session, case=case, action="satisfaction_answered", by="customer", score=score,
                 via=via)
    return True
