"""A message the customer writes on their status page, filed as their verified reply.

The signed status link is the customer's own (it only ever went to the case's
customer), so a message from its form acts on the case exactly as a mail from a
verified address would: it joins the thread, a phone number in it fills the case,
and the same reaction follows (agreement, survey score, reopening, staff's flag).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from config.settings import Settings
from letters.formatting import clean_text
from pipeline.cases.events import record_event
from pipeline.conversation.customer_wrote import customer_wrote
from pipeline.db.models import Case, Correspondence
from pipeline.intake.handlers import capture_phone
from pipeline.resolution.customer_replies import react_to_reply

MAX_MESSAGE_CHARS = 4000
SUBJECTS = {"zh": "[{reference}] 客户在进度查询页面的留言",
            "en": "[{reference}] Message from the customer's status page"}
SEEN = ("The customer wrote on the status page: read the message."
        " 客户在进度查询页面留言，请阅读。")


class MessageRefused(ValueError):
    """An empty message; the text is for the customer."""


def file_status_message(session: Session, *, case: Case, text: str, settings: Settings,
                        now: datetime) -> str:
    """File the message on the case as a verified reply; returns what the reply did."""
    message = clean_text(text).strip()[:MAX_MESSAGE_CHARS]
    if not message:
        raise MessageRefused("empty")
    language = "zh" if case.language == "zh" else "en"
    filed = Correspondence(
        case_id=case.id, direction="in", kind="reply", at=now, verified=True,
        subject=SUBJECTS[language].format(reference=case.reference), body_text=message,
        from_address=case.customer_email)
    session.add(filed)
    session.flush()
    record_event(session, case=case, action="reply_received", by="customer", via="status_page")
    capture_phone(session, case=case, text=message, from_address=case.customer_email,
                  settings=settings)
    outcome = react_to_reply(session, case=case, text=message, settings=settings, now=now)
    if outcome == "none" and not case.attention:
        case.attention = SEEN  # nothing else reacted: staff must still see it
    # As for a mail: the handler (or the department) is told and the queue shows it first.
    customer_wrote(session, case=case, ledger_id=0, settings=settings, now=now,
                   flag=False, dedupe_key=f"status-page-{filed.id}")
    return outcome
