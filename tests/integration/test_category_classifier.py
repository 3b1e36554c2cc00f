"""Intake suggests the category the classifier learned from staff's routing (issue 13).

GIVEN forty cases staff routed (lost parcels to logistics, leaking kettles to quality),
WHEN a complaint arrives whose words no keyword rule knows ("包裹不见了"), THEN the
category suggested is the one of the department such complaints were routed to.
"""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent
from pipeline.routing.keeper import shared_keeper
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

ROUTED = [("包裹不见了，派件员说放在门口", "logistics"), ("水壶底部渗水，桌子都湿了", "quality")]


def test_the_category_comes_from_the_routing_classifier(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        for number in range(40):
            text, department = ROUTED[number % 2]
            session.add(Case(reference=f"OLD-{number}", status="routed", channel="email",
                             received_at=utcnow(), subject=text, what_happened=text,
                             department=department))
    with runtime.factory() as session:
        keeper = shared_keeper(session)
        assert keeper.current(session) is None  # training starts in the background
    assert keeper.wait(timeout=120)
    ingest_bytes(runtime, mails.complaint(sender="赵六 <zhao@x.example>", subject="包裹不见了",
                                          body="我的包裹不见了，派件员说放在门口。\n赵六\n"),
                 name="lost.eml")
    with runtime.factory() as session:
        case = session.scalars(select(Case).order_by(Case.id.desc())).first()
        assert case is not None and case.category == "logistics"
        event = session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "fields_suggested")).one()
    assert event.detail["category"]["source"] == "classifier"
