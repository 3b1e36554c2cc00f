"""Which addresses belong to a case's customer: the one rule behind every mail that acts.

A reference in a subject is public (references are sequential, easy to guess) and an
In-Reply-To can be copied, so neither proves who writes. Only mail from an address
of the case's customer acts on the case: the address they first wrote from (the
sender of the case's complaint, kept on its correspondence), the one we write to
(``customer_email``), or one staff confirmed (a ``case_addresses`` row). Opening a
case adds no row: the common reply matches ``customer_email`` without a query.
Addresses are compared after :func:`normalise_address`: lower case, display name
stripped, nothing else, so ``jane+x@example.org`` is not ``jane@example.org`` (a
provider may route them to different people).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from pipeline.cases.events import record_event
from pipeline.db.models import Case, CaseAddress, Correspondence

MAX_ADDRESS = 320


@lru_cache(maxsize=4096)
def normalise_address(value: str) -> str:
    """``"Jane" <Jane@Example.org>`` -> ``jane@example.org``; "" when there is no address.

    Kept for the last few thousand: a mail asks it of the same address several times
    (sender, case, contact), and the address parser costs 13 microseconds a call.
    """
    _, address = parseaddr(value.strip())
    address = "".join((address or value).split()).strip("<>").lower()
    return address[:MAX_ADDRESS] if "@" in address else ""


def is_customer_address(session: Session, *, case: Case, address: str) -> bool:
    """Whether mail from ``address`` may act on the case."""
    address = normalise_address(address)
    if not address:
        return False
    if address == normalise_address(case.customer_email):
        return True  # the address we write to; no query for the common reply
    confirmed = select(CaseAddress.id).where(
        CaseAddress.case_id == case.id,
        CaseAddress.address == address,
        CaseAddress.verified.is_(True),
    )
    first_sender = select(Correspondence.id).where(
        Correspondence.case_id == case.id,
        Correspondence.kind == "complaint",
        Correspondence.from_address == address,
    )
    return session.scalar(select(or_(exists(confirmed), exists(first_sender)))) is True


def add_customer_address(
    session: Session, *, case: Case, address: str, source: str, by: str = "system"
) -> bool:
    """Make ``address`` a verified address of the case; True if it was not one already."""
    address = normalise_address(address)
    if not address:
        return False
    row = session.scalar(
        select(CaseAddress).where(CaseAddress.case_id == case.id, CaseAddress.address == address)
    )
    if row is not None and row.verified:
        return False
    if row is None:
        session.add(CaseAddress(case_id=case.id, address=address, verified=True, source=source,
                                added_by=by))
    else:
        row.verified, row.source, row.added_by = True, source, by
    if by != "system":
        record_event(session, case=case, action="customer_address_confirmed", by=by,
                     address=address, source=source)
    return True


def add_contact_candidate(session: Session, *, case: Case, address: str) -> None:
    """Keep an address found in a mail's text for staff to adopt; it acts on nothing."""
    address = normalise_address(address)
    if not address or address == normalise_address(case.customer_email):
        return
    exists = session.scalar(
        select(CaseAddress.id).where(CaseAddress.case_id == case.id,
                                     CaseAddress.address == address)
    )
    if exists is None:
        session.add(CaseAddress(case_id=case.id, address=address, verified=False,
                                source="text"))


@dataclass(frozen=True)
class KnownAddress:
    """One address of a case as staff and ``cases show --json`` see it."""

    address: str
    verified: bool
    source: str  # customer_email, sender, staff, backfill, text
    added_by: str = "system"

    def to_json(self) -> dict[str, object]:
        return {"address": self.address, "verified": self.verified, "source": self.source}


def case_addresses(session: Session, case: Case) -> list[KnownAddress]:
    """The address we write to, the first sender, staff-confirmed ones, then candidates."""
    known: dict[str, KnownAddress] = {}
    if normalise_address(case.customer_email):
        email = normalise_address(case.customer_email)
        known[email] = KnownAddress(email, True, "customer_email")
    for sender in session.scalars(select(Correspondence.from_address).where(
            Correspondence.case_id == case.id, Correspondence.kind == "complaint")):
        if sender and sender not in known:
            known[sender] = KnownAddress(sender, True, "sender")
    for row in session.scalars(select(CaseAddress).where(CaseAddress.case_id == case.id)
                               .order_by(CaseAddress.verified.desc(), CaseAddress.id)):
        if row.address not in known or (row.verified and not known[row.address].verified):
            known[row.address] = KnownAddress(row.address, row.verified, row.source,
                                              row.added_by)
    return sorted(known.values(), key=lambda a: not a.verified)
