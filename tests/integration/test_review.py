"""Review: corrections on the record, routing with deadline and department notice, not ours."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from config.departments import load_departments
from config.policies import load_policies
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseDeadline, CaseEvent, OutboundMail
from pipeline.review.corrections import CorrectionError, correct_fields
from pipeline.review.routing import RoutingDecision, RoutingError, decide_not_ours, route_case
from pipeline.review.suggestions import acceptance_stats, suggestion_for
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    ingest_bytes(runtime, mails.complaint(
        sender="王伟 <wangwei@customer.example>", subject="快递送来的水壶漏水",
        body="您好，快递昨天送到的电水壶底部漏水，请给我换一个。\n王伟\n"), name="a.eml")
    with runtime.factory() as session, session.begin():
        assert _case(session).category == "quality"  # suggested at intake ("漏水")
        _case(session).severity = "normal"  # staff's choice: required before routing
    return runtime


def _case(session) -> Case:  # type: ignore[no-untyped-def]
    return session.scalars(select(Case)).one()


def test_corrections_are_checked_together_and_recorded(runtime: Runtime) -> None:
    with (
        runtime.factory() as session,
        session.begin(),
        pytest.raises(CorrectionError, match="not a valid phone number"),
    ):
        correct_fields(session, case=_case(session), by="alice", region="CN",
                       changes={"customer_name": "王小伟", "customer_phone": "123"})
    with runtime.factory() as session, session.begin():
        assert _case(session).customer_name == "王伟"  # nothing applied from the bad form
        _case(session).customer_phone_written = "0771 000 0000"  # as a customer wrote it
        changed = correct_fields(
            session, case=_case(session), by="alice", region="CN",
            changes={"customer_name": "王小伟", "customer_phone": "138 0013 8000",
                     "customer_address": "上海市浦东新区世纪大道100号", "severity": "high",
                     "quantity": "2", "demands": ["replacement", "replacement"]})
    assert changed["customer_phone"] == ("", "+8613800138000")
    with runtime.factory() as session:
        assert _case(session).customer_phone_written == ""  # staff's number, not the old one
    with runtime.factory() as session:
        case = _case(session)
        assert (case.quantity, case.demands, case.severity) == (2, ["replacement"], "high")
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "corrected")).one()
    assert event.actor == "alice"
    assert event.detail["changes"]["customer_name"] == {"old": "王伟", "new": "王小伟"}
    with runtime.factory() as session, session.begin(), pytest.raises(CorrectionError):
        correct_fields(session, case=_case(session), by="alice", region="CN",
                       changes={"status": "closed"})


def test_routing_sets_deadline_tells_customer_and_notifies_department(runtime: Runtime) -> None:
    departments = load_departments(runtime.settings)
    with runtime.factory() as session:
        suggestion = suggestion_for(session, _case(session), departments)
    assert suggestion is not None and suggestion.department == "quality"  # "漏水"
    with runtime.factory() as session, session.begin():
        routed = route_case(
            session, case=_case(session), settings=runtime.settings, departments=departments,
            policies=load_policies(runtime.settings), by="alice", now=utcnow(),
            decision=RoutingDecision(department="logistics", responsibility="third_party",
                                     third_party="顺丰速运", suggested=suggestion.department,
                                     suggestion_source=suggestion.source, opinion="请检测"))
    with runtime.factory() as session:
        case = _case(session)
        assert (case.status, case.department) == ("routed", "logistics")
        assert case.third_party == "顺丰速运"
        assert session.get(CaseDeadline, case.id) is not None
        kinds = {m.kind: m for m in session.scalars(select(OutboundMail))}
        assert acceptance_stats(session).suggested == 1
        assert acceptance_stats(session).accepted == 0  # staff chose logistics instead
    assert set(kinds) == {"acknowledgment", "deadline", "department_notice"}
    notice = kinds["department_notice"]
    assert routed.outbound_ids == [notice.id] and notice.to_address == "logistics@example.com"
    message = email.message_from_bytes(notice.raw, policy=email.policy.default)
    (form,) = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert form.get_filename() == f"{case.reference}-processing-form.pdf"
    assert form.get_content().startswith(b"%PDF")
    deadline_text = email.message_from_bytes(kinds["deadline"].raw, policy=email.policy.default)
    body = deadline_text.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "物流部" in body and "顺丰速运" in body

    with runtime.factory() as session, session.begin(), pytest.raises(RoutingError):
        route_case(session, case=_case(session), settings=runtime.settings,
                   departments=departments, policies=load_policies(runtime.settings),
                   by="alice", now=utcnow(), decision=RoutingDecision(department="quality"))


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (RoutingDecision(department="canteen"), "Unknown department"),
        (RoutingDecision(department="quality", responsibility="third_party"), "Name the third"),
        (RoutingDecision(department="quality", responsibility="maybe"), "Responsibility"),
    ],
)
def test_bad_routing_decisions_change_nothing(
    runtime: Runtime, decision: RoutingDecision, message: str
) -> None:
    with runtime.factory() as session, session.begin(), pytest.raises(RoutingError, match=message):
        route_case(session, case=_case(session), settings=runtime.settings,
                   departments=load_departments(runtime.settings),
                   policies=load_policies(runtime.settings), by="alice", now=utcnow(),
                   decision=decision)
    with runtime.factory() as session:
        assert _case(session).status == "new"


def test_not_ours_closes_with_a_written_explanation(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin(), pytest.raises(RoutingError):
        decide_not_ours(session, case=_case(session), explanation="No.", by="alice",
                        settings=runtime.settings, now=utcnow())
    explanation = "该水壶并非本公司产品，订单号也不在我们的系统中。请联系您购买的商家。"
    with runtime.factory() as session, session.begin():
        decide_not_ours(session, case=_case(session), explanation=explanation, by="alice",
                        settings=runtime.settings, now=utcnow())
    with runtime.factory() as session:
        case = _case(session)
        letter = session.scalars(select(OutboundMail).where(OutboundMail.kind == "not_ours")).one()
    assert (case.status, case.responsibility) == ("not_ours", "not_ours")
    body = email.message_from_bytes(letter.raw, policy=email.policy.default).get_body(
        ("plain",)).get_content()  # type: ignore[attr-defined]
    assert explanation in body and case.reference in letter.subject


def test_not_ours_without_email_goes_to_the_print_queue(runtime: Runtime) -> None:
    from pipeline.db.models import PrintLetter

    explanation = "该水壶并非本公司产品，请联系您购买的商家处理。我们已将您的来信存档。"
    with runtime.factory() as session, session.begin():
        case = _case(session)
        case.customer_email, case.customer_address = "", "上海市浦东新区世纪大道100号"
        decide_not_ours(session, case=case, explanation=explanation, by="alice",
                        settings=runtime.settings, now=utcnow())
    with runtime.factory() as session:
        printed = session.scalars(select(PrintLetter)).one()
        assert session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "not_ours")).all() == []
    assert printed.kind == "not_ours" and "世纪大道100号" in printed.recipient
