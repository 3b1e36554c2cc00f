"""Merging a duplicate case into another case of the same customer.

A customer who writes twice about one problem (a second mail that did not thread, a
letter after a mail) opens two cases; two departments would then answer the same
complaint. Staff merge the duplicate into the case that goes on: its correspondence,
its original mails and its files move to that case, the duplicate closes as
``merged`` with ``merged_into_case_id`` set, and both audit trails say so.

Only the same customer (a shared verified mail address or phone number): merging
another person's mail into a case would show it to the wrong customer's handler and,
worse, let the wrong person's replies act on it. The statistics then count one
complaint: a merged case has no ``case_facts`` row (``pipeline/db/facts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.cases.events import record_event
from pipeline.cases.history import same_customer
from pipeline.cases.lifecycle import OPEN_STATUSES, move
from pipeline.db.models import Attachment, Case, Correspondence, InboundMail


class MergeError(ValueError):
    """A merge the rules do not allow; the message (English and Chinese) is for staff."""


@dataclass(frozen=True)
class Merged:
    """What a merge moved, for the audit trail and ``cases merge --json``."""

    duplicate: str
    into: str
    correspondence: int
    mails: int
    attachments: int

    def to_json(self) -> dict[str, object]:
        return {"case": self.duplicate, "merged_into": self.into, "status": "merged",
                "correspondence": self.correspondence, "mails": self.mails,
                "attachments": self.attachments}


def check_merge(session: Session, *, duplicate: Case, target: Case) -> None:
    """Raise :class:`MergeError` with the reason when ``duplicate`` may not join ``target``."""
    if duplicate.id == target.id:
        raise MergeError("A case cannot be merged into itself. / 不能将投诉合并到其自身。")
    if duplicate.status not in OPEN_STATUSES:
        raise MergeError(f"{duplicate.reference} is no longer open, so it cannot be merged. "
                         f"/ {duplicate.reference} 已结案，不能合并。")
    if target.status not in OPEN_STATUSES:
        raise MergeError(f"{target.reference} is not open: merge only into a case still being "
                         f"handled. / {target.reference} 未在处理中，只能合并到处理中的投诉。")
    if not same_customer(session, duplicate, target):
        raise MergeError(
            f"{duplicate.reference} and {target.reference} are not of the same customer (no "
            "shared mail address or phone number), so they cannot be merged. / "
            f"{duplicate.reference} 与 {target.reference} 不属于同一客户（邮箱和电话均不相同），"
            "不能合并。")


def _moved(session: Session, model: type[Correspondence | Attachment | InboundMail],
           duplicate: Case, target: Case) -> int:
    count = session.scalar(select(func.count()).select_from(model)
                           .where(model.case_id == duplicate.id)) or 0
    session.execute(update(model).where(model.case_id == duplicate.id)
                    .values(case_id=target.id).execution_options(synchronize_session=False))
    return count


def merge_cases(session: Session, *, duplicate: Case, target: Case, by: str,
                now: datetime) -> Merged:
    """Move the duplicate's correspondence, mails and files to ``target`` and close it."""
    check_merge(session, duplicate=duplicate, target=target)
    merged = Merged(
        duplicate=duplicate.reference, into=target.reference,
        correspondence=_moved(session, Correspondence, duplicate, target),
        mails=_moved(session, InboundMail, duplicate, target),
        attachments=_moved(session, Attachment, duplicate, target))
    move(session, case=duplicate, to="merged", by=by, merged_into=target.reference)
    duplicate.merged_into_case_id = target.id
    duplicate.closed_at = now
    record_event(session, case=duplicate, action="merged_into", by=by, into=target.reference,
                 correspondence=merged.correspondence, mails=merged.mails,
                 attachments=merged.attachments)
    record_event(session, case=target, action="merged_from", by=by, duplicate=duplicate.reference,
                 correspondence=merged.correspondence, mails=merged.mails,
                 attachments=merged.attachments)
    session.flush()
    session.expire_all()  # the bulk updates bypassed the identity map
    return merged


def surviving_case(session: Session, case: Case) -> Case:
    """The case that goes on for ``case``: itself, or the case it was merged into (followed).

    A customer's reply to the duplicate's acknowledgment names the duplicate; threading
    should hand it to the case the duplicate joined. Bounded, in case of a bad chain.
    """
    seen = {case.id}
    while case.merged_into_case_id is not None and case.merged_into_case_id not in seen:
        target = session.get(Case, case.merged_into_case_id)
        if target is None:
            break
        seen.add(target.id)
        case = target
    return case
