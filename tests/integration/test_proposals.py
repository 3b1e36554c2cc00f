"""Department proposals, supervisor approval and send-back, fixed-policy resolutions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from config.policies import load_policies
from pipeline.cases.lifecycle import move
from pipeline.db.models import Case, CaseEvent, Resolution
from pipeline.resolution.proposals import (
    POLICY_APPROVER,
    Proposal,
    ProposalError,
    approve,
    propose,
    send_back,
)
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
ANSWERS = [("Asks for a replacement", "We will send a new kettle by courier.")]


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """One complaint, routed."""
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    with runtime.factory() as session, session.begin():
        move(session, case=session.scalars(select(Case)).one(), to="routed", by="intake")
    return runtime


def _proposal(
    method: str = "compensation", compensation: str = "800", **changes: object
) -> Proposal:
    values: dict[str, object] = dict(
        findings="The seal was fitted wrongly in batch 2611.", method=method,
        loss_amount="299", compensation_amount=compensation, answers=ANSWERS,
        next_steps="A courier collects the old kettle.", contact_person="李娜",
    )
    values.update(changes)
    return Proposal(**values)  # type: ignore[arg-type]


def _do(runtime: Runtime, action, **kwargs):  # type: ignore[no-untyped-def]
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        return action(session, case=case, now=NOW, **kwargs)


def _status(runtime: Runtime) -> tuple[str, list[tuple[int, str]]]:
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        versions = [(r.version, r.status) for r in session.scalars(
            select(Resolution).order_by(Resolution.version))]
        return case.status, versions


def test_above_the_authority_limit_goes_to_a_supervisor(runtime: Runtime) -> None:
    policies = load_policies(runtime.settings)
    _do(runtime, propose, proposal=_proposal(), policies=policies, by="handler")
    assert _status(runtime) == ("proposed", [(1, "proposed")])

    with pytest.raises(ProposalError, match="someone other than its author"):
        _do(runtime, approve, by="handler", instructions="")
    with pytest.raises(ProposalError, match="Say what must change"):
        _do(runtime, send_back, by="boss", comments=" ")

    _do(runtime, send_back, by="boss", comments="Offer a replacement instead.")
    assert _status(runtime) == ("routed", [(1, "sent_back")])

    _do(runtime, propose, proposal=_proposal(compensation="600"), policies=policies, by="handler")
    _do(runtime, approve, by="boss", instructions="Ship it express.")
    assert _status(runtime) == ("approved", [(1, "sent_back"), (2, "approved")])
    with runtime.factory() as session:
        approved = session.scalars(select(Resolution).where(Resolution.version == 2)).one()
        assert approved.compensation_amount == Decimal("600.00")
        assert approved.loss_amount == Decimal("299.00")
        assert approved.answers == [{"point": ANSWERS[0][0], "answer": ANSWERS[0][1]}]
        assert (approved.decided_by, approved.decision_note) == ("boss", "Ship it express.")
        actions = [e.detail.get("decision") for e in session.scalars(
            select(CaseEvent).where(CaseEvent.action == "status").order_by(CaseEvent.id))]
    assert actions == [None, None, "sent_back", None, "approved"]


def test_a_standard_replacement_is_approved_by_the_fixed_policy(runtime: Runtime) -> None:
    _do(runtime, propose, proposal=_proposal(method="replacement", compensation="0"),
        policies=load_policies(runtime.settings), by="handler")
    assert _status(runtime) == ("approved", [(1, "approved")])
    with runtime.factory() as session:
        assert session.scalars(select(Resolution)).one().decided_by == POLICY_APPROVER
    with pytest.raises(ProposalError, match="no proposal waiting"):
        _do(runtime, approve, by="boss", instructions="")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answers": [("Why did it leak?", " ")]}, "Point 1 has no answer"),
        ({"compensation_amount": "12,5"}, "must be a number"),
        ({"loss_amount": "-1"}, "between 0 and"),
        ({"method": "bribe"}, "Unknown handling method"),
        ({"findings": ""}, "what the investigation found"),
    ],
)
def test_incomplete_proposals_are_refused_and_change_nothing(
    runtime: Runtime, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ProposalError, match=message):
        _do(runtime, propose, proposal=_proposal(**changes),
            policies=load_policies(runtime.settings), by="handler")
    assert _status(runtime) == ("routed", [])
