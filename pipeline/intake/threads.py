"""Threading: which case, if any, a mail belongs to.

A mail joins a case when its In-Reply-To/References name one of our Message-IDs
(an acknowledgment we sent, or the customer's own earlier mail), or when its subject
quotes a case reference. Headers are checked first because they cannot be mistyped.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases.merge import surviving_case
from pipeline.db.models import Case, InboundMail, OutboundMail
from pipeline.mail.message import ParsedMail
from pipeline.text.replies import find_case_references


def find_thread_case(session: Session, *, mail: ParsedMail, prefix: str) -> Case | None:
    """Return the case this mail replies to, or None for a new conversation.

    A reply to a duplicate that was merged goes to the case it joined.
    """
    ids = [mid for mid in (mail.in_reply_to, *mail.references) if mid]
    if ids:
        case = _case_by_message_ids(session, ids)
        if case is not None:
            return surviving_case(session, case)
    for reference in find_case_references(mail.subject, prefix):
        case = session.scalar(select(Case).where(Case.reference == reference))
        if case is not None:
            return surviving_case(session, case)
    return None


def _case_by_message_ids(session: Session, ids: list[str]) -> Case | None:
    # The newest of our mails named wins: a customer answering a follow-up case's
    # letter still quotes the old case's Message-IDs in References.
    case_id = session.scalar(
        select(OutboundMail.case_id)
        .where(OutboundMail.message_id.in_(ids))
        .order_by(OutboundMail.id.desc())
        .limit(1)
    )
    if case_id is None:
        case_id = session.scalar(
            select(InboundMail.case_id)
            .where(InboundMail.message_id.in_(ids), InboundMail.case_id.is_not(None))
            .limit(1)
        )
    return session.get(Case, case_id) if case_id is not None else None
