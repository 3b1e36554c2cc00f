"""Routed case to closed case through the console: proposal, send-back, approval with the
written notice, a moved deadline, agreement by phone, and the customer's survey link."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

from sqlalchemy import select

from config.secrets import secret_key
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseDeadline, FollowUp, Notice, OutboundMail
from pipeline.followup.links import sign_survey_answer
from pipeline.followup.surveys import send_follow_up
from tests.console.conftest import ConsoleWorld
from tests.support.console import add_staff, sign_in

REF = "CP-2026-000001"


def _case(world: ConsoleWorld) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == REF))
        assert case is not None
        return case


def _routed(world: ConsoleWorld) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/correct", data={"csrf_token": token, "severity": "normal"})
    intake.post(f"/cases/{REF}/route", data={"csrf_token": token, "department": "quality",
                                             "responsibility": "ours"})
    assert _case(world).status == "routed"


def _propose(world: ConsoleWorld, compensation: str) -> object:
    handler = world.client()
    token = sign_in(handler, "quinn")
    page = handler.get(f"/cases/{REF}")
    assert 'id="propose-form"' in page.text and "请给我换一个" in page.text  # points drafted
    return handler.post(f"/cases/{REF}/propose", data={
        "csrf_token": token, "findings": "密封圈装配错误", "method": "compensation",
        "loss_amount": "199", "compensation_amount": compensation,
        "point": ["请给我换一个。", "漏水原因？"], "answer": ["免费换新", "密封圈装配错误 <b>&"],
        "next_steps": "本周发货", "contact_person": "李娜"})


def test_proposal_send_back_approval_notice_agreement(world: ConsoleWorld) -> None:
    add_staff(world.runtime.factory, "sam", "supervisor")
    _routed(world)
    assert _propose(world, "800").status_code == 200  # type: ignore[attr-defined]
    assert _case(world).status == "proposed"

    lou = world.client()  # another department's handler sees nothing
    lou_token = sign_in(lou, "lou")
    assert lou.post(f"/cases/{REF}/decide", data={"csrf_token": lou_token,
                                                  "decision": "approve"}).status_code == 403

    boss = world.client()
    token = sign_in(boss, "sam")
    response = boss.post(f"/cases/{REF}/decide", data={
        "csrf_token": token, "decision": "send_back", "note": "先换货，不赔钱"})
    assert response.status_code == 200 and _case(world).status == "routed"
    assert _propose(world, "0").status_code == 200  # type: ignore[attr-defined]
    response = boss.post(f"/cases/{REF}/decide", data={
        "csrf_token": token, "decision": "approve", "note": "同意"})
    assert response.status_code == 200 and _case(world).status == "approved"

    with world.runtime.factory() as session:
        notice = session.scalars(select(Notice)).one()
        mail = session.get(OutboundMail, notice.outbound_mail_id)
        assert mail is not None
    parsed = email.message_from_bytes(mail.raw, policy=email.policy.default)
    (pdf,) = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert pdf.get_content() == notice.pdf

    intake = world.client()
    token = sign_in(intake, "ivy")
    page = intake.get(f"/cases/{REF}")
    assert "密封圈装配错误 &lt;b&gt;&amp;" in page.text  # the answer, escaped
    intake.post(f"/cases/{REF}/agreement", data={"csrf_token": token, "via": "phone",
                                                 "note": "电话确认"})
    case = _case(world)
    assert (case.status, case.agreement_via) == ("closed", "phone")


def test_moving_the_deadline_needs_a_reason_and_writes_to_the_customer(
    world: ConsoleWorld,
) -> None:
    _routed(world)
    handler = world.client()
    token = sign_in(handler, "quinn")
    queue = handler.get("/department").text
    assert re.search(r'<td class="due">\d{4}-\d{2}-\d{2} \(1?\d\)</td>', queue), queue
    refused = handler.post(f"/cases/{REF}/deadline", data={
        "csrf_token": token, "working_days": "15", "reason": ""})
    assert refused.status_code == 422
    handler.post(f"/cases/{REF}/deadline", data={
        "csrf_token": token, "working_days": "15", "reason": "等待检测报告"})
    with world.runtime.factory() as session:
        deadline = session.scalars(select(CaseDeadline)).one()
        moved = session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "deadline_moved")).one()
    assert deadline.changes == 1 and deadline.reason == "等待检测报告"
    assert moved.to_address == "wangwei@customer.example"


def test_survey_link_asks_to_confirm_then_records_once(world: ConsoleWorld) -> None:
    add_staff(world.runtime.factory, "sam", "supervisor")
    _routed(world)
    _propose(world, "0")
    boss = world.client()
    token = sign_in(boss, "sam")
    boss.post(f"/cases/{REF}/decide", data={"csrf_token": token, "decision": "approve"})
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/agreement", data={"csrf_token": token, "via": "phone"})
    case = _case(world)
    with world.runtime.factory() as session, session.begin():
        send_follow_up(session, case_id=case.id, settings=world.settings,
                       secret=secret_key(world.settings), survey_url="http://testserver/survey",
                       now=utcnow() + timedelta(days=8))
    link = "/survey/" + sign_survey_answer(REF, 4, secret=secret_key(world.settings))
    customer = world.client()  # no sign-in
    first = customer.get(link)
    assert first.status_code == 200 and "4 / 5" in first.text
    with world.runtime.factory() as session:
        assert session.get(FollowUp, case.id).score is None  # type: ignore[union-attr]
    assert "谢谢" in customer.post(link).text
    customer.post("/survey/" + sign_survey_answer(REF, 1, secret=secret_key(world.settings)))
    with world.runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None and (follow_up.score, follow_up.answered_via) == (4, "link")
    assert customer.get("/survey/forged-token").status_code == 400


def test_a_survey_answered_by_phone_is_recorded_by_staff(world: ConsoleWorld) -> None:
    """Customers without email get the survey by post and often answer by phone."""
    add_staff(world.runtime.factory, "sam", "supervisor")
    _routed(world)
    _propose(world, "0")
    boss = world.client()
    boss.post(f"/cases/{REF}/decide", data={"csrf_token": sign_in(boss, "sam"),
                                            "decision": "approve"})
    intake = world.client()
    token = sign_in(intake, "ivy")
    agreed = intake.post(f"/cases/{REF}/agreement", data={"csrf_token": token, "via": "phone"})
    assert "Agreement recorded; the case is closed." in agreed.text
    case = _case(world)
    assert 'id="satisfaction-form"' not in intake.get(f"/cases/{REF}").text  # not sent yet
    with world.runtime.factory() as session, session.begin():
        send_follow_up(session, case_id=case.id, settings=world.settings,
                       secret=secret_key(world.settings), survey_url="http://testserver/survey",
                       now=utcnow() + timedelta(days=8))
    page = intake.get(f"/cases/{REF}")
    assert 'id="satisfaction-form"' in page.text and "4 satisfied" in page.text
    refused = intake.post(f"/cases/{REF}/satisfaction", data={"csrf_token": token, "score": "9"})
    assert refused.status_code == 422 and "Choose a score from 1 to 5." in refused.text
    handler = world.client()  # handlers do not record survey answers
    assert handler.post(f"/cases/{REF}/satisfaction", data={
        "csrf_token": sign_in(handler, "quinn"), "score": "5"}).status_code == 403
    done = intake.post(f"/cases/{REF}/satisfaction", data={
        "csrf_token": token, "score": "4", "comment": "换货很快 <b>"})
    assert "The customer&#39;s answer is recorded." in done.text and "4/5 (phone)" in done.text
    assert 'id="satisfaction-form"' not in done.text
    with world.runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None
        assert (follow_up.score, follow_up.answered_via, follow_up.comment) == (
            4, "phone", "换货很快 <b>")
    again = intake.post(f"/cases/{REF}/satisfaction", data={"csrf_token": token, "score": "1"})
    assert again.status_code == 404  # the first answer counts


def test_a_customer_without_email_is_asked_by_phone_and_staff_record_it(
    world: ConsoleWorld,
) -> None:
    """No survey is mailed to a customer without email; the case page asks staff to call."""
    add_staff(world.runtime.factory, "sam", "supervisor")
    _routed(world)
    _propose(world, "0")
    boss = world.client()
    boss.post(f"/cases/{REF}/decide", data={"csrf_token": sign_in(boss, "sam"),
                                            "decision": "approve"})
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/agreement", data={"csrf_token": token, "via": "phone"})
    case = _case(world)
    with world.runtime.factory() as session, session.begin():
        session.get(Case, case.id).customer_email = ""  # type: ignore[union-attr]
        assert send_follow_up(session, case_id=case.id, settings=world.settings,
                              secret=secret_key(world.settings),
                              survey_url="http://testserver/survey",
                              now=utcnow() + timedelta(days=8)) is None
    page = intake.get(f"/cases/{REF}")
    assert "ask the customer by phone" in page.text and 'id="satisfaction-form"' in page.text
    intake.post(f"/cases/{REF}/satisfaction", data={"csrf_token": token, "score": "2",
                                                     "comment": "太慢了"})
    with world.runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None and follow_up.sent_at is None
        assert (follow_up.score, follow_up.answered_via) == (2, "phone")
