"""What the customer's status page shows, and nothing more.

The page is reached with a signed link and no login, so it holds only what the
customer already knows or is entitled to: the reference, the state, the department
and the handler's display name, the deadline we promised, and the letters we sent
them (the written notice as a download). No text of theirs, no other customer, no
internal note, no staff name but the handler's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Case, CaseDeadline, Correspondence, Notice, PrintLetter, User
from pipeline.links.status import link_alive


@dataclass(frozen=True)
class SentLetter:
    """One letter we sent: its kind (a correspondence kind), when, by mail or post."""

    kind: str
    at: datetime
    subject: str
    by_post: bool
    notice_id: int | None = None  # a written notice, downloadable from the page


@dataclass(frozen=True)
class StatusView:
    """The status page's content, as plain values."""

    case_id: int
    reference: str
    language: str
    status: str
    closed: bool
    department: str | None  # a department key; the page shows its name
    handler_name: str  # the handler's display name, "" when nobody is named
    due_at: datetime | None
    letters: list[SentLetter] = field(default_factory=list)


def find_case(session: Session, case_id: int, *, now: datetime, days: int) -> Case | None:
    """The case a valid link names, while its page is shown (open, or closed recently)."""
    case = session.get(Case, case_id)
    if case is None or case.erased_at is not None:
        return None
    return case if link_alive(case.closed_at, now=now, days=days) else None


def status_view(session: Session, case: Case) -> StatusView:
    """Everything the page shows about ``case``."""
    deadline = session.get(CaseDeadline, case.id)
    handler = (session.scalar(select(User.display_name).where(User.username == case.handler))
               if case.handler else None)
    open_case = case.closed_at is None
    return StatusView(
        case_id=case.id, reference=case.reference, language=case.language, status=case.status,
        closed=not open_case, department=case.department, handler_name=handler or "",
        due_at=deadline.due_at if deadline is not None and open_case else None,
        letters=sent_letters(session, case.id))


def sent_letters(session: Session, case_id: int) -> list[SentLetter]:
    """Our mail and printed letters to the customer, oldest first, notices downloadable."""
    notices = {n.outbound_mail_id: n.id for n in session.scalars(
        select(Notice).where(Notice.case_id == case_id, Notice.kind == "resolution"))}
    posted_notices = [n for n in session.scalars(
        select(Notice).where(Notice.case_id == case_id, Notice.kind == "resolution",
                             Notice.delivery == "post").order_by(Notice.id))]
    letters = [SentLetter(kind=c.kind, at=c.at, subject=c.subject, by_post=False,
                          notice_id=notices.get(c.outbound_mail_id) if c.outbound_mail_id
                          else None)
               for c in session.scalars(select(Correspondence).where(
                   Correspondence.case_id == case_id, Correspondence.direction == "out")
                   .order_by(Correspondence.at, Correspondence.id))]
    for printed in session.scalars(select(PrintLetter).where(PrintLetter.case_id == case_id)
                                   .order_by(PrintLetter.id)):
        kind = printed.kind.split("-", 1)[0]  # "deadline-2" is the second deadline letter
        notice = (posted_notices.pop(0).id if kind == "resolution_notice" and posted_notices
                  else None)
        letters.append(SentLetter(kind=kind, at=printed.printed_at or printed.created_at,
                                  subject="", by_post=True, notice_id=notice))
    return sorted(letters, key=lambda letter: letter.at)


def notice_pdf(session: Session, *, case_id: int, notice_id: int) -> Notice | None:
    """A written notice of this case (never another case's, never an internal form)."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.case_id != case_id or notice.kind != "resolution":
        return None
    return notice
