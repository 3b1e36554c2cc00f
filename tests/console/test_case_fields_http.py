"""Category, severity, product, quantity and the person responsible, over HTTP (issue 13)."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select, update

from pipeline.cases.queries import case_detail
from pipeline.db.models import Case, CaseDeadline, CaseEvent, OutboundMail, User
from tests.console.conftest import ConsoleWorld
from tests.support import mails
from tests.support.console import add_staff, sign_in
from workers.inline import ingest_bytes

REF = "CP-2026-000001"  # 王伟's leaking kettle: "漏水" suggests the quality category


def _case(world: ConsoleWorld, reference: str = REF) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


def _events(world: ConsoleWorld, action: str) -> list[CaseEvent]:
    with world.runtime.factory() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.action == action)
                                    .order_by(CaseEvent.id)))


def test_the_page_shows_the_fields_with_the_suggestion_marked(world: ConsoleWorld) -> None:
    intake = world.client()
    sign_in(intake, "ivy")
    page = intake.get(f"/cases/{REF}").text
    assert 'id="f-category"' in page and 'id="f-severity"' in page
    assert '<option value="quality" selected>' in page
    assert 'data-field="category"' in page and "漏水" in page  # why it was suggested
    assert 'data-field="product"' in page and 'value="电热水壶 K1 / Electric kettle K1"' in page
    # Without safety words the severity suggested is normal, so routing may go ahead.
    assert '<option value="normal" selected>' in page
    assert 'id="needs-classification"' not in page


def test_routing_without_a_severity_is_refused_and_says_why(world: ConsoleWorld) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    with world.runtime.factory() as session, session.begin():  # nothing suggested, none chosen
        session.execute(update(Case).where(Case.reference == REF).values(severity=""))
    assert 'id="needs-classification"' in intake.get(f"/cases/{REF}").text
    refused = intake.post(f"/cases/{REF}/route", data={
        "csrf_token": token, "department": "quality", "responsibility": "ours"})
    assert refused.status_code == 422
    assert "Choose the category and the severity first" in refused.text
    assert "请先选择投诉类别和严重程度" in refused.text
    assert _case(world).status == "new"
    with world.runtime.factory() as session:
        assert session.scalars(select(CaseDeadline)).first() is None


def test_a_staff_choice_replaces_the_suggestion_on_the_record(world: ConsoleWorld) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    saved = intake.post(f"/cases/{REF}/correct", data={
        "csrf_token": token, "category": "logistics", "severity": "high", "product": "kettle-k1",
        "quantity": "2"})
    assert saved.status_code == 200
    case = _case(world)
    assert (case.category, case.severity, case.product, case.quantity) == (
        "logistics", "high", "电热水壶 K1 / Electric kettle K1", 2)
    (event,) = _events(world, "corrected")
    assert event.actor == "ivy"
    assert event.detail["changes"]["category"] == {"old": "quality", "new": "logistics"}
    page = intake.get(f"/cases/{REF}").text
    assert 'data-field="category"' not in page  # staff's value now, not a suggestion
    bad = intake.post(f"/cases/{REF}/correct", data={"csrf_token": token, "category": "x"})
    assert bad.status_code == 422 and "Category: one of" in bad.text
    handler = world.client()
    handler_token = sign_in(handler, "quinn")
    assert handler.post(f"/cases/{REF}/correct", data={
        "csrf_token": handler_token, "severity": "low"}).status_code == 403


@pytest.mark.parametrize(("category", "severity", "working_days"), [
    ("quality", "normal", 10), ("logistics", "low", 5), ("quality", "critical", 2),
    ("other", "normal", 10),
])
def test_the_deadline_follows_the_policy_for_category_and_severity(
    world: ConsoleWorld, category: str, severity: str, working_days: int
) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/correct", data={
        "csrf_token": token, "category": category, "severity": severity})
    routed = intake.post(f"/cases/{REF}/route", data={
        "csrf_token": token, "department": "quality", "responsibility": "ours"})
    assert routed.status_code == 200 and "Routed." in routed.text
    with world.runtime.factory() as session:
        deadline = session.get(CaseDeadline, _case(world).id)
        assert deadline is not None and deadline.working_days == working_days
    (event,) = _events(world, "deadline_set")
    assert (event.detail["category"], event.detail["severity"]) == (category, severity)


def test_the_handler_named_at_routing_is_the_contact_in_the_deadline_letter(
    world: ConsoleWorld,
) -> None:
    with world.runtime.factory() as session, session.begin():
        quinn = session.scalars(select(User).where(User.username == "quinn")).one()
        quinn.display_name = "李娜 <b>QA</b>"
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/correct", data={"csrf_token": token, "severity": "normal"})
    wrong = intake.post(f"/cases/{REF}/route", data={
        "csrf_token": token, "department": "quality", "handler": "lou"})
    assert wrong.status_code == 422 and "not a handler of the department" in wrong.text
    routed = intake.post(f"/cases/{REF}/route", data={
        "csrf_token": token, "department": "quality", "handler": "quinn"})
    assert routed.status_code == 200
    assert _case(world).handler == "quinn"
    with world.runtime.factory() as session:
        letter = session.scalars(select(OutboundMail).where(OutboundMail.kind == "deadline")).one()
    parsed = email.message_from_bytes(letter.raw, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "李娜 <b>QA</b>" in text
    assert "李娜 &lt;b&gt;QA&lt;/b&gt;" in html and "<b>QA</b>" not in html
    page = intake.get(f"/cases/{REF}").text
    assert "李娜 &lt;b&gt;QA&lt;/b&gt;" in page and "<b>QA</b>" not in page


def _routed(world: ConsoleWorld) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post(f"/cases/{REF}/correct", data={"csrf_token": token, "severity": "normal"})
    intake.post(f"/cases/{REF}/route", data={"csrf_token": token, "department": "quality"})
    assert _case(world).status == "routed"


def test_a_handler_takes_it_and_a_supervisor_reassigns_it_on_the_record(
    world: ConsoleWorld,
) -> None:
    _routed(world)
    add_staff(world.runtime.factory, "sam", "supervisor")
    add_staff(world.runtime.factory, "qiu", "handler", "quality")
    handler = world.client()
    token = sign_in(handler, "quinn")
    page = handler.get(f"/cases/{REF}").text
    assert 'id="take"' in page and 'id="assign-form"' not in page
    assert handler.post(f"/cases/{REF}/assign", data={
        "csrf_token": token, "handler": "qiu"}).status_code == 403  # may only take it
    taken = handler.post(f"/cases/{REF}/assign", data={"csrf_token": token, "handler": "quinn"})
    assert taken.status_code == 200 and "The person responsible is set." in taken.text
    assert _case(world).handler == "quinn"

    other = world.client()
    other_token = sign_in(other, "lou")  # logistics: the case is not theirs to see
    assert other.post(f"/cases/{REF}/assign", data={
        "csrf_token": other_token, "handler": "lou"}).status_code == 404
    intake = world.client()
    intake_token = sign_in(intake, "ivy")
    assert intake.post(f"/cases/{REF}/assign", data={
        "csrf_token": intake_token, "handler": "qiu"}).status_code == 403

    supervisor = world.client()
    sup_token = sign_in(supervisor, "sam")
    assert 'id="assign-form"' in supervisor.get(f"/cases/{REF}").text
    outsider = supervisor.post(f"/cases/{REF}/assign", data={
        "csrf_token": sup_token, "handler": "lou"})
    assert outsider.status_code == 422 and "not a handler of the department" in outsider.text
    moved = supervisor.post(f"/cases/{REF}/assign", data={"csrf_token": sup_token,
                                                         "handler": "qiu"})
    assert moved.status_code == 200 and _case(world).handler == "qiu"
    no_token = supervisor.post(f"/cases/{REF}/assign", data={"handler": "quinn"})
    assert no_token.status_code == 403 and _case(world).handler == "qiu"
    moves = [(e.actor, e.detail["from"], e.detail["to"])
             for e in _events(world, "handler_assigned")]
    assert moves == [("quinn", None, "quinn"), ("sam", "quinn", "qiu")]


def test_show_json_has_the_fields_and_the_customers_related_cases(world: ConsoleWorld) -> None:
    _routed(world)
    ingest_bytes(world.runtime, mails.complaint(
        sender="王伟 <wangwei@customer.example>", subject="又一个问题",
        body="上次的水壶换了以后，新的电饭煲也坏了。\n王伟\n"), name="again.eml")
    with world.runtime.factory() as session:
        again = session.scalars(select(Case).order_by(Case.id.desc())).first()
        assert again is not None
        first = case_detail(session, REF, time_zone="Asia/Shanghai")
        second = case_detail(session, again.reference)
    assert first is not None and second is not None
    assert first["related_cases"] == [again.reference]
    assert second["related_cases"] == [REF]
    assert (first["category"], first["severity"], first["department"]) == (
        "quality", "normal", "quality")
    assert first["handler"] is None and first["taken_by"] == "ivy"  # who routed it
    assert first["deadline"] is not None and len(first["deadline"]) == 10
    assert (second["deadline"], second["department"], second["quantity"]) == (None, None, None)
    assert second["product"] == "电饭煲 R5 / Rice cooker R5"
