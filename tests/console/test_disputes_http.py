"""The dispute loop and the send-back to review through the console, over HTTP.

GIVEN a notice the verified customer refuses, the department sees their words (escaped)
on the case page and proposes again; a supervisor approves and notice v2 goes out.
A routed case goes back to review only by intake staff or a supervisor, with CSRF and
a reason; the department is told.
"""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db.models import Case, Notice, OutboundMail
from tests.console.conftest import ConsoleWorld
from tests.support import mails
from tests.support.console import add_staff, sign_in
from workers.inline import ingest_bytes

REF = "CP-2026-000001"
CUSTOMER = "王伟 <wangwei@customer.example>"


def _case(world: ConsoleWorld) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == REF))
        assert case is not None
        return case


def _routed(world: ConsoleWorld) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/route", data={"csrf_token": token, "department": "quality",
                                             "responsibility": "ours"})
    assert _case(world).status == "routed"


def _propose(world: ConsoleWorld, method: str, amount: str) -> int:
    handler = world.client()
    token = sign_in(handler, "quinn")
    return handler.post(f"/cases/{REF}/propose", data={
        "csrf_token": token, "findings": "密封圈装配错误", "method": method,
        "loss_amount": amount, "compensation_amount": amount,
        "point": ["请给我换一个。"], "answer": ["免费换新"], "contact_person": "李娜"}).status_code


def test_refused_notice_is_revised_and_reissued(world: ConsoleWorld) -> None:
    add_staff(world.runtime.factory, "sam", "supervisor")
    _routed(world)
    assert _propose(world, "replacement", "0") == 200
    assert _case(world).status == "approved"  # fixed policy: notice v1 went out

    ingest_bytes(world.runtime, mails.reply(
        to_message_id=None, subject=f"Re: [{REF}] 处理结果", sender=CUSTOMER,
        body="我不同意。<script>alert(1)</script> 换新不够，耽误了我两天。"), name="no.eml")
    assert _case(world).status == "disputed"

    handler = world.client()
    sign_in(handler, "quinn")
    page = handler.get(f"/cases/{REF}")
    assert 'id="dispute"' in page.text and "耽误了我两天" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'id="propose-form"' in page.text

    assert _propose(world, "compensation", "50") == 200
    assert _case(world).status == "proposed"
    boss = world.client()
    token = sign_in(boss, "sam")
    response = boss.post(f"/cases/{REF}/decide", data={
        "csrf_token": token, "decision": "approve", "note": "同意补偿"})
    assert response.status_code == 200 and _case(world).status == "approved"
    with world.runtime.factory() as session:
        notices = session.scalars(select(Notice).where(Notice.kind == "resolution")
                                  .order_by(Notice.id)).all()
        assert [n.filename for n in notices] == [f"{REF}-resolution.pdf",
                                                 f"{REF}-resolution-v2.pdf"]
        assert all(n.outbound_mail_id for n in notices)


def test_send_back_to_review_over_http(world: ConsoleWorld) -> None:
    _routed(world)
    handler = world.client()
    handler_token = sign_in(handler, "quinn")
    assert 'id="unroute-form"' not in handler.get(f"/cases/{REF}").text
    assert handler.post(f"/cases/{REF}/unroute", data={
        "csrf_token": handler_token, "reason": "not mine"}).status_code == 403

    intake = world.client()
    token = sign_in(intake, "ivy")
    assert 'id="unroute-form"' in intake.get(f"/cases/{REF}").text
    for sent in ({"reason": "wrong"}, {"reason": "wrong", "csrf_token": "made-up"}):
        assert intake.post(f"/cases/{REF}/unroute", data=sent,
                           follow_redirects=False).status_code == 403
    empty = intake.post(f"/cases/{REF}/unroute", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422 and _case(world).status == "routed"
    done = intake.post(f"/cases/{REF}/unroute", data={
        "csrf_token": token, "reason": "物流问题，不是质量问题"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("done=unrouted_ok")
    case = _case(world)
    assert (case.status, case.department) == ("new", None)
    with world.runtime.factory() as session:
        (told,) = session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "department_unrouted")).all()
        assert told.to_address.startswith("quality")
    again = intake.post(f"/cases/{REF}/unroute", data={"csrf_token": token, "reason": "x"})
    assert again.status_code == 404  # no longer routed
