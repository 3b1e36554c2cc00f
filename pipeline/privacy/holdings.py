"""What we hold about one customer: their cases, mails, scans, files.

A customer is named by a mail address or a phone number, as they would give it when
asking for their data. Export and erasure both start from this one list, so they
never disagree about what belongs to whom.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from pipeline.db.models import Attachment, Case, InboundMail, LetterScan

_DIGITS = re.compile(r"\D+")


class PersonError(ValueError):
    """The customer was not named usably (no or both of mail and phone, or malformed)."""


@dataclass(frozen=True)
class Person:
    """A customer as named in a request: by mail address or by phone number."""

    email: str = ""
    phone: str = ""

    @classmethod
    def named(cls, email: str | None, phone: str | None) -> Person:
        email, phone = (email or "").strip().lower(), (phone or "").strip()
        if bool(email) == bool(phone):
            raise PersonError("Name the customer by --email or by --phone (one of them).")
        if email and ("@" not in email or len(email) > 320 or any(c.isspace() for c in email)):
            raise PersonError("A mail address looks like name@domain.")
        if phone and len(digits(phone)) < 6:
            raise PersonError("A phone number needs at least 6 digits.")
        return cls(email=email, phone=phone)

    def label(self) -> str:
        """How logs and the audit name the request: the kind of key only, never the key."""
        return "email" if self.email else "phone"


def digits(phone: str) -> str:
    return _DIGITS.sub("", phone)


def _same_phone(stored: str, wanted: str) -> bool:
    """Equal digits, allowing a country prefix on either side (+86 138… = 138…)."""
    a, b = digits(stored), digits(wanted)
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    return long_.endswith(short) and len(short) >= 7


@dataclass
class Holdings:
    """Ids of every row about the customer; files are found from these rows."""

    case_ids: list[int] = field(default_factory=list)
    inbound_ids: list[int] = field(default_factory=list)
    scan_ids: list[int] = field(default_factory=list)
    attachment_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.case_ids or self.inbound_ids or self.scan_ids)


def _cases_by_email(session: Session, email: str) -> set[int]:
    by_case = session.scalars(select(Case.id).where(func.lower(Case.customer_email) == email))
    by_mail = session.scalars(select(InboundMail.case_id).where(
        func.lower(InboundMail.from_address) == email, InboundMail.case_id.is_not(None)))
    return {*by_case, *(i for i in by_mail if i is not None)}


def _cases_by_phone(session: Session, phone: str) -> set[int]:
    tail = digits(phone)[-7:]
    # Narrow in SQL by the last digits, then compare whole numbers here.
    rows = session.execute(select(Case.id, Case.customer_phone).where(
        Case.customer_phone.contains(tail[-4:]))).all()
    return {case_id for case_id, stored in rows if _same_phone(stored, phone)}


def find_holdings(session: Session, person: Person) -> Holdings:
    """Everything about the person, including mail of theirs that opened no case."""
    cases = _cases_by_email(session, person.email) if person.email else _cases_by_phone(
        session, person.phone)
    # Found by phone, their cases name their mail addresses: their other mail goes too.
    emails = {person.email} if person.email else {
        e.lower() for e in session.scalars(select(Case.customer_email).where(
            Case.id.in_(cases))) if e and "@" in e}
    return holdings_of_cases(session, cases, emails=emails)


def holdings_of_cases(session: Session, case_ids: Iterable[int], *,
                      emails: set[str] | None = None) -> Holdings:
    """The mails, scans and files that go with these cases (and these senders' other mail)."""
    cases, senders = sorted(set(case_ids)), sorted(emails or ())
    mail_filter: list[ColumnElement[bool]] = [InboundMail.case_id.in_(cases)] if cases else []
    if senders:
        mail_filter.append(func.lower(InboundMail.from_address).in_(senders))
    inbound = sorted(set(session.scalars(select(InboundMail.id).where(or_(*mail_filter))))) \
        if mail_filter else []
    scan_filter: list[ColumnElement[bool]] = []
    if cases:
        scan_filter.append(LetterScan.case_id.in_(cases))
    if inbound:
        scan_filter.append(LetterScan.inbound_mail_id.in_(inbound))
    if senders:
        scan_filter.append(func.lower(LetterScan.from_address).in_(senders))
    scans = list(session.execute(select(LetterScan.id, LetterScan.files).where(
        or_(*scan_filter)))) if scan_filter else []
    files: set[int] = {f for _, listed in scans for f in (listed or [])}
    att_filter: list[ColumnElement[bool]] = []
    if cases:
        att_filter.append(Attachment.case_id.in_(cases))
    if inbound:
        att_filter.append(Attachment.inbound_mail_id.in_(inbound))
    if att_filter:
        files.update(session.scalars(select(Attachment.id).where(or_(*att_filter))))
    return Holdings(case_ids=cases, inbound_ids=inbound, scan_ids=sorted(i for i, _ in scans),
                    attachment_ids=sorted(files))
