"""The customer's status page over HTTP: the link in our mail opens it without a login;
forged, expired and another case's links are a plain 404; the form files a verified
reply; the page is rate-limited and shows nothing else of the case."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

from sqlalchemy import select

from config.secrets import secret_key
from config.settings import Settings
from console.app import create_app
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, Correspondence, Notice, OutboundMail
from pipeline.followup.links import sign_survey_answer
from pipeline.links.status import sign_document, sign_status
from tests.console.conftest import ConsoleWorld, TestClient
from tests.support.console import sign_in

REF, OTHER = "CP-2026-000001", "CP-2026-000002"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/status/[A-Za-z0-9_.\-]+)")
FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _case(world: ConsoleWorld, reference: str = REF) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


def _link_in_acknowledgment(world: ConsoleWorld) -> str:
    with world.runtime.factory() as session:
        raw = session.scalars(select(OutboundMail.raw).where(
            OutboundMail.case_id == _case(world).id,
            OutboundMail.kind == "acknowledgment")).one()
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    found = LINK.search(text)
    assert found is not None, text
    assert f'href="http://127.0.0.1:8000{found.group(1)}"' in html  # the same link in HTML
    return found.group(1)


def _path(world: ConsoleWorld, reference: str = REF) -> str:
    return "/status/" + sign_status(_case(world, reference).id, secret=secret_key(world.settings))


def _close(world: ConsoleWorld, days_ago: int) -> None:
    with world.runtime.factory() as session, session.begin():
        case = session.get(Case, _case(world).id)
        assert case is not None
        case.status, case.closed_at = "closed", utcnow() - timedelta(days=days_ago)


def _client(world: ConsoleWorld, **limits: object) -> TestClient:
    settings: Settings = world.settings.model_copy(update=limits)
    return TestClient(create_app(settings, factory=world.runtime.factory),
                      base_url="http://testserver")


def _replies(world: ConsoleWorld) -> list[Correspondence]:
    with world.runtime.factory() as session:
        return list(session.scalars(select(Correspondence).where(
            Correspondence.case_id == _case(world).id, Correspondence.kind == "reply")))


def test_the_acknowledgment_links_to_a_page_in_the_customers_language(
    world: ConsoleWorld,
) -> None:
    path = _link_in_acknowledgment(world)
    page = world.client().get(path)  # no sign-in
    assert page.status_code == 200
    assert REF in page.text and "我们已收到您的投诉，正在审核。" in page.text
    assert "受理确认" in page.text  # the acknowledgment, listed as a letter we sent
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # Nothing else of the case: not the customer's words, name or address, no other case.
    shown = re.sub(r'"[^"]*"', "", page.text)  # attribute values hold random tokens
    for private in ("电水壶", "王伟", "wangwei@", OTHER, "Jane"):
        assert private not in shown
    english = world.client().get(path + "?lang=en")
    assert "We have received your complaint and are reviewing it." in english.text


def test_forged_expired_and_another_cases_links_are_a_plain_404(world: ConsoleWorld) -> None:
    customer = world.client()
    path = _path(world)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    survey_token = sign_survey_answer(REF, 5, secret=secret_key(world.settings))
    for wrong in (forged, "/status/1", "/status/" + survey_token):
        answer = customer.get(wrong)
        assert answer.status_code == 404 and answer.text == "Not found / 未找到"
    # Another case's written notice, under this case's link: 404; under its own: the PDF.
    other_id = _case(world, OTHER).id
    with world.runtime.factory() as session, session.begin():
        notice = Notice(case_id=other_id, kind="resolution", language="en",
                        filename=f"{OTHER}-resolution.pdf", pdf=b"%PDF-1.4 other",
                        sha256="0" * 64, delivery="email")
        session.add(notice)
        session.flush()
        notice_id = notice.id
    secret = secret_key(world.settings)
    theirs = sign_document(other_id, notice_id, secret=secret)
    assert customer.get(f"{path}/notice/{theirs}").status_code == 404
    mine_with_their_notice = sign_document(_case(world).id, notice_id, secret=secret)
    assert customer.get(f"{path}/notice/{mine_with_their_notice}").status_code == 404
    own = customer.get(f"{_path(world, OTHER)}/notice/{theirs}")
    assert own.status_code == 200 and own.content == b"%PDF-1.4 other"
    # Expired: closed more than 90 days ago.
    _close(world, days_ago=91)
    assert customer.get(path).status_code == 404


def test_a_message_from_the_form_is_the_customers_verified_reply(world: ConsoleWorld) -> None:
    customer = world.client()
    path = _path(world)
    page = customer.get(path)
    token = FIELD.search(page.text).group(1)  # type: ignore[union-attr]
    sent = customer.post(path, data={"csrf_token": token,
                                     "message": "请尽快处理 <b>谢谢</b>，我的电话 13912345678"},
                         follow_redirects=False)
    assert sent.status_code == 303
    assert "我们已收到您的留言" in customer.get(sent.headers["location"]).text
    (reply,) = _replies(world)
    assert reply.verified and reply.direction == "in"
    assert reply.body_text == "请尽快处理 <b>谢谢</b>，我的电话 13912345678"
    case = _case(world)
    assert case.customer_phone == "+8613912345678"  # as a mail from the customer would
    with world.runtime.factory() as session:
        event = session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "reply_received")).one()
    assert event.detail == {"via": "status_page"} and event.actor == "customer"


def test_the_form_needs_its_token_and_a_small_body(world: ConsoleWorld) -> None:
    path = _path(world)
    stranger = world.client()  # never saw the page: no cookie
    assert stranger.post(path, data={"csrf_token": "x", "message": "hi"}).status_code == 403
    customer = world.client()
    customer.get(path)
    assert customer.post(path, data={"csrf_token": "wrong", "message": "hi"}).status_code == 403
    assert customer.post(path, data={"csrf_token": "x", "message": "x" * 40_000}
                         ).status_code == 413
    assert _replies(world) == []


def test_the_form_on_a_case_closed_more_than_90_days_ago_is_refused(
    world: ConsoleWorld,
) -> None:
    customer = world.client()
    path = _path(world)
    _close(world, days_ago=89)
    page = customer.get(path)
    assert page.status_code == 200 and "您的投诉已处理完毕。" in page.text
    token = FIELD.search(page.text).group(1)  # type: ignore[union-attr]
    _close(world, days_ago=91)
    refused = customer.post(path, data={"csrf_token": token, "message": "还有问题"})
    assert refused.status_code == 404
    assert _replies(world) == []


def test_the_page_is_rate_limited_per_link_and_per_address(world: ConsoleWorld) -> None:
    per_link = _client(world, status_page_link_requests=3, status_page_address_requests=100)
    path = _path(world)
    assert [per_link.get(path).status_code for _ in range(3)] == [200, 200, 200]
    blocked = per_link.get(path)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    other_case = _path(world, OTHER)  # another link from the same address still opens
    assert per_link.get(other_case).status_code == 200

    per_address = _client(world, status_page_link_requests=100, status_page_address_requests=6)
    # Guessing links counts against the address too: it has made 5 counted requests (the
    # one that closed the link counted), so one more guess is answered, then it must wait.
    answers = [per_address.get(f"/status/guess{n}").status_code for n in range(3)]
    assert answers == [404, 429, 429]


def test_the_page_names_the_department_the_handler_and_the_deadline_only(
    world: ConsoleWorld,
) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/route", data={"csrf_token": token, "department": "quality",
                                             "responsibility": "ours",
                                             "opinion": "内部意见：客户很难缠"})
    with world.runtime.factory() as session, session.begin():
        case = session.get(Case, _case(world).id)
        assert case is not None
        case.handler = "quinn"
    page = world.client().get(_path(world))
    assert re.search(r'<dd id="department">质量管理部</dd>', page.text)
    assert re.search(r'<dd id="handler">Quinn</dd>', page.text)
    assert re.search(r'<dd id="due">\d{4}年\d{1,2}月\d{1,2}日</dd>', page.text)
    assert "处理期限通知" in page.text  # the deadline letter we sent
    shown = re.sub(r'"[^"]*"', "", page.text)  # attribute values hold random tokens
    for internal in ("Ivy", "ivy", "内部意见", "难缠", "Lou"):  # staff and internal notes
        assert internal not in shown
