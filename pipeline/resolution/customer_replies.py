"""What a customer's reply means for a case past the department's work.

* Waiting for agreement (resolution approved and sent): "同意" / "I agree" closes the
  case; a refusal, or an answer with questions, disputes it (back to the department,
  :mod:`pipeline.resolution.disputes`); any other answer flags the case for staff.
* Closed as not ours: the customer answers our explanation, so the case goes back to
  review, flagged.
* Closed, survey sent and unanswered: a score ("5", "满意") is the survey answer.
* Closed otherwise: within the grace period the case reopens; after it, the intake
  opens a new case that follows the old one (:func:`opens_new_case`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from config.departments import load_departments
from config.policies import load_policies
from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.cases.lifecycle import move
from pipeline.db.models import Case
from pipeline.followup.surveys import awaiting_answer, record_answer
from pipeline.resolution.closure import record_agreement, reply_after_closing
from pipeline.resolution.disputes import asks_questions, open_dispute
from pipeline.resolution.notices import archive_processing_form
from pipeline.text.answers import agreement, satisfaction_score

UNCLEAR = (
    "The customer answered the resolution notice: read it and record their agreement if they"
    " agree. 客户已回复处理结果通知，请阅读并在客户同意时登记。"
)
NOT_OURS_REOPENED = (
    "The customer answered our \"not our responsibility\" letter; the case is back in review."
    " 客户回复了“非我方责任”的说明，案件已退回审核。"
)
REOPENED = (
    "The customer wrote again after closing; the case reopened."
    " 客户在结案后再次来信，案件已重新打开。"
)


def _survey_score(session: Session, case: Case, text: str) -> int | None:
    return satisfaction_score(text) if awaiting_answer(session, case) else None


def opens_new_case(session: Session, *, case: Case, text: str, settings: Settings,
                   now: datetime) -> bool:
    """Whether a reply to this case starts a new, linked case instead of joining it."""
    if case.status != "closed" or case.closed_at is None:
        return False
    grace = timedelta(days=load_policies(settings).reopen_grace_days)
    return now - case.closed_at > grace and _survey_score(session, case, text) is None


def react_to_reply(session: Session, *, case: Case, text: str, settings: Settings,
                   now: datetime) -> str:
    """Act on a human reply already threaded into the case; returns what it did."""
    policies = load_policies(settings)
    if case.status == "approved":
        verdict = agreement(text)
        if verdict:
            record_agreement(session, case=case, via="reply", by="customer", note=text[:500],
                             now=now, policies=policies)
            archive_processing_form(session, case=case, settings=settings,
                                    departments=load_departments(settings),
                                    customer_opinion=text[:500], now=now)
            return "agreed"
        record_event(session, case=case, action="resolution_answered", by="customer",
                     agrees=verdict)
        if verdict is False or asks_questions(text):
            open_dispute(session, case=case, words=text[:2000], settings=settings,
                         policies=policies, now=now)
            return "disputed"
        case.attention = UNCLEAR
        return "unclear"
    if case.status == "not_ours":
        move(session, case=case, to="new", by="customer", reason="customer replied")
        case.closed_at, case.attention = None, NOT_OURS_REOPENED
        return "reopened"
    if case.status == "closed":
        score = _survey_score(session, case, text)
        if score is not None:
            record_answer(session, case=case, score=score, comment=text[:4000], via="reply",
                          now=now)
            return "survey_answered"
        if reply_after_closing(session, case=case, now=now, policies=policies):
            case.attention = REOPENED
            return "reopened"
    return "none"
