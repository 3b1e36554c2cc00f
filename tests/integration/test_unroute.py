"""Review can be undone: a routed case goes back to review; a reply reopens a not-ours case.

GIVEN a case routed to the wrong department, WHEN intake sends it back with a reason
(service or ``complaints cases unroute``), THEN it waits for review again, the department
is told by mail and the trail says who and why; routing it again tells the department
anew but does not write to the customer a second time. A not-ours case goes back to
review when its verified customer answers, and not when someone else does.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from config.departments import load_departments
from config.policies import load_policies
from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, OutboundMail
from pipeline.review.routing import RoutingDecision, decide_not_ours, route_case
from pipeline.review.unroute import UnrouteError, unroute
from pipeline.staff.users import NewUser, add_user
from tests.support import mails
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

CUSTOMER = "Jane Smith <jane@customer.example>"
STRANGER = "Mallory <mallory@elsewhere.example>"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    ingest_bytes(runtime, mails.complaint(sender=CUSTOMER), name="complaint.eml")
    yield runtime
    runtime.engine.dispose()


def _case(session) -> Case:  # type: ignore[no-untyped-def]
    return session.scalars(select(Case)).one()


def _route(runtime: Runtime, department: str) -> None:
    with runtime.factory() as session, session.begin():
        route_case(session, case=_case(session), settings=runtime.settings,
                   departments=load_departments(runtime.settings),
                   policies=load_policies(runtime.settings), by="alice", now=utcnow(),
                   decision=RoutingDecision(department=department))


def _mails(runtime: Runtime, kind: str) -> list[OutboundMail]:
    with runtime.factory() as session:
        return list(session.scalars(select(OutboundMail).where(OutboundMail.kind == kind)
                                    .order_by(OutboundMail.id)))


def test_send_back_then_route_again(runtime: Runtime) -> None:
    _route(runtime, "logistics")
    with runtime.factory() as session, session.begin():
        unroute(session, case=_case(session), reason="It is a quality fault, not shipping.",
                settings=runtime.settings, departments=load_departments(runtime.settings),
                by="alice", now=utcnow())
    with runtime.factory() as session:
        case = _case(session)
        assert (case.status, case.department) == ("new", None)
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "unrouted")).one()
        assert (event.actor, event.detail["department"]) == ("alice", "logistics")
        assert event.detail["reason"] == "It is a quality fault, not shipping."
    (told,) = _mails(runtime, "department_unrouted")
    logistics = next(d for d in load_departments(runtime.settings) if d.key == "logistics")
    assert told.to_address == logistics.email
    body = email.message_from_bytes(told.raw, policy=email.policy.default).get_body(
        preferencelist=("plain",))
    assert body is not None
    text = body.get_content()  # type: ignore[attr-defined]
    assert "It is a quality fault, not shipping." in text and "alice" in text

    _route(runtime, "quality")
    with runtime.factory() as session:
        case = _case(session)
        assert (case.status, case.department) == ("routed", "quality")
    assert [m.to_address for m in _mails(runtime, "department_notice")] == [
        logistics.email,
        next(d for d in load_departments(runtime.settings) if d.key == "quality").email]
    assert len(_mails(runtime, "deadline")) == 1  # the customer's deadline stands


def test_send_back_needs_a_reason_and_a_routed_case(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin(), pytest.raises(UnrouteError):
        unroute(session, case=_case(session), reason="wrong", settings=runtime.settings,
                departments=load_departments(runtime.settings), by="alice", now=utcnow())
    _route(runtime, "logistics")
    with runtime.factory() as session, session.begin(), pytest.raises(UnrouteError):
        unroute(session, case=_case(session), reason="  ", settings=runtime.settings,
                departments=load_departments(runtime.settings), by="alice", now=utcnow())


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env |= {"PYTHONPATH": str(ROOT), "COMPLAINTS_DATA_DIR": str(settings.data_dir),
            "COMPLAINTS_FROM_ADDRESS": settings.from_address}
    if settings.database_url:
        env["COMPLAINTS_DATABASE_URL"] = settings.database_url
    return subprocess.run([sys.executable, "-m", "workers", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_unroute_for_intake_staff_only(runtime: Runtime) -> None:
    _route(runtime, "logistics")
    with runtime.factory() as session, session.begin():
        keys = {d.key for d in load_departments(runtime.settings)}
        add_user(session, NewUser("ines", "a long enough secret", "intake"), department_keys=keys)
        add_user(session, NewUser("hal", "a long enough secret", "handler",
                                  department="logistics"), department_keys=keys)
        reference = _case(session).reference
    refused = _cli(runtime.settings, "cases", "unroute", reference, "--reason", "wrong",
                   "--by", "hal")
    assert refused.returncode == 1 and "not an active intake" in refused.stderr
    with runtime.factory() as session:
        assert _case(session).status == "routed"
    done = _cli(runtime.settings, "cases", "unroute", reference.lower(), "--reason",
                "Quality fault.", "--by", "ines", "--json")
    assert done.returncode == 0, done.stderr
    assert '"previous_department": "logistics"' in done.stdout
    with runtime.factory() as session:
        assert _case(session).status == "new"
        assert session.scalars(select(CaseEvent).where(
            CaseEvent.action == "unrouted")).one().actor == "ines"


def _not_ours(runtime: Runtime) -> str:
    with runtime.factory() as session, session.begin():
        case = _case(session)
        decide_not_ours(session, case=case, settings=runtime.settings, by="alice", now=utcnow(),
                        explanation="The carrier lost the parcel; please claim from them.")
        return case.reference


def _reply(runtime: Runtime, reference: str, sender: str, name: str) -> None:
    ingest_bytes(runtime, mails.reply(to_message_id=None, subject=f"Re: [{reference}] kettle",
                                      body="But the carrier says it is your fault.",
                                      sender=sender), name=name)


def test_a_verified_reply_reopens_a_not_ours_case_for_review(runtime: Runtime) -> None:
    reference = _not_ours(runtime)
    _reply(runtime, reference, CUSTOMER, "answer.eml")
    with runtime.factory() as session:
        case = _case(session)
        assert (case.status, case.closed_at) == ("new", None)
        assert "not our responsibility" in case.attention


def test_an_unverified_reply_does_not_reopen_a_not_ours_case(runtime: Runtime) -> None:
    reference = _not_ours(runtime)
    _reply(runtime, reference, STRANGER, "forged.eml")
    with runtime.factory() as session:
        case = _case(session)
        assert case.status == "not_ours" and case.closed_at is not None
