"""A customer's history: their other cases, and the cases this one is linked to.

The same customer is recognised by a mail address (the one we write to, or any
verified address of the case: see :mod:`pipeline.cases.customer_addresses`) or by
the phone number (stored in E.164, compared exactly). Both lookups use an index on
``cases``. Links are kept apart from the matches: the case a follow-up continues
(``follows_case_id``), the follow-ups of this one, the case a duplicate was merged
into and the duplicates merged into this one.

Who may see which case is the console's rule; callers pass ``scope`` (a department,
or None for all) so a handler is never shown another department's case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from pipeline.cases.customer_addresses import case_addresses, normalise_address
from pipeline.db.models import Case

MAX_RELATED = 50


@dataclass(frozen=True)
class RelatedCase:
    """Another case shown on a case page, and how it relates to this one."""

    reference: str
    status: str
    received_at: datetime
    subject: str
    relation: str  # follows / followed_by / merged_into / merged_from / same_customer


def customer_emails(session: Session, case: Case) -> set[str]:
    """The verified mail addresses of the case's customer."""
    return {known.address for known in case_addresses(session, case) if known.verified}


def same_customer_condition(emails: set[str], phone: str) -> ColumnElement[bool] | None:
    """Cases of a customer with these addresses or this phone; None when nothing identifies."""
    conditions: list[ColumnElement[bool]] = []
    if emails:
        conditions.append(Case.customer_email.in_(sorted(emails)))
    if phone:
        conditions.append(Case.customer_phone == phone)
    return or_(*conditions) if conditions else None


def same_customer(session: Session, first: Case, second: Case) -> bool:
    """Whether two cases are of one customer: a shared mail address or phone number."""
    if first.erased_at is not None or second.erased_at is not None:
        return False  # what identified the customer is gone
    if first.customer_phone and first.customer_phone == second.customer_phone:
        return True
    return bool(customer_emails(session, first) & customer_emails(session, second))


def _relation(case: Case, other: Case) -> str:
    if case.follows_case_id == other.id:
        return "follows"
    if other.follows_case_id == case.id:
        return "followed_by"
    if case.merged_into_case_id == other.id:
        return "merged_into"
    if other.merged_into_case_id == case.id:
        return "merged_from"
    return "same_customer"


def related_cases(session: Session, case: Case, *, scope: str | None) -> list[RelatedCase]:
    """The customer's other cases and the linked ones, newest first, linked ones on top."""
    linked_ids = [i for i in (case.follows_case_id, case.merged_into_case_id) if i]
    links: list[ColumnElement[bool]] = [Case.follows_case_id == case.id,
                                        Case.merged_into_case_id == case.id]
    if linked_ids:
        links.append(Case.id.in_(linked_ids))
    phone = case.customer_phone if case.erased_at is None else ""
    emails = {e for e in customer_emails(session, case) if normalise_address(e)}
    customer = same_customer_condition(emails if case.erased_at is None else set(), phone)
    if customer is not None:
        links.append(customer)
    query = select(Case).where(or_(*links), Case.id != case.id)
    if scope is not None:
        query = query.where(Case.department == scope)
    found = session.scalars(query.order_by(Case.received_at.desc(), Case.id.desc())
                            .limit(MAX_RELATED))
    rows = [RelatedCase(reference=other.reference, status=other.status,
                        received_at=other.received_at, subject=other.subject,
                        relation=_relation(case, other)) for other in found]
    return sorted(rows, key=lambda row: row.relation == "same_customer")
