"""A customer's request, as staff carry it out: export their data, or erase it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.models import Case
from pipeline.privacy.erase import Erased, erase_holdings
from pipeline.privacy.export import Export, collect
from pipeline.privacy.holdings import Holdings, Person, find_holdings
from pipeline.staff.audit import record_staff_action


def _references(session: Session, holdings: Holdings) -> list[str]:
    return list(session.scalars(select(Case.reference).where(
        Case.id.in_(holdings.case_ids)).order_by(Case.id)))


def export_person(factory: sessionmaker[Session], *, settings: Settings, person: Person,
                  by: str) -> Export | None:
    """Everything held about the person, or None when there is nothing; the export is audited."""
    with factory() as session, session.begin():
        holdings = find_holdings(session, person)
        if holdings.empty:
            return None
        export = collect(session, holdings, storage_root=Path(settings.storage_dir),
                         person={"email": person.email, "phone": person.phone})
        record_staff_action(session, actor=by, action="personal_data_exported",
                            target=f"{len(holdings.case_ids)} case(s)",
                            found_by=person.label(), cases=_references(session, holdings),
                            mails=len(holdings.inbound_ids))
    return export


def holdings_of(factory: sessionmaker[Session], person: Person) -> tuple[Holdings, list[str]]:
    """What an erasure would touch, for the confirmation question."""
    with factory() as session:
        holdings = find_holdings(session, person)
        return holdings, _references(session, holdings)


def erase_person(factory: sessionmaker[Session], *, settings: Settings, person: Person,
                 reason: str, by: str) -> Erased:
    """Erase the person's data; a second request finds nothing and does nothing."""
    with factory() as session:
        holdings = find_holdings(session, person)
    return erase_holdings(factory, settings=settings, holdings=holdings, reason=reason, by=by)
