"""Queues, counts, the customer's history and merging, over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseDeadline, CaseEvent
from tests.console.conftest import ConsoleWorld
from tests.support.console import add_staff, sign_in

WANG, JANE, LINA = "CP-2026-000001", "CP-2026-000002", "CP-2026-000003"


def _arrange(world: ConsoleWorld, changes: dict[str, dict[str, object]]) -> None:
    """Set case fields (and ``due_in_days``, a deadline) directly, as the workflow would."""
    now = utcnow()
    with world.runtime.factory() as session, session.begin():
        for reference, fields in changes.items():
            case = session.scalars(select(Case).where(Case.reference == reference)).one()
            due_in = fields.pop("due_in_days", None)
            for name, value in fields.items():
                setattr(case, name, value)
            if isinstance(due_in, int):
                due = now + timedelta(days=due_in)
                session.add(CaseDeadline(case_id=case.id, due_at=due, working_days=10,
                                         remind_at=due - timedelta(days=1), set_by="ivy"))


def _queue_order(html: str) -> list[str]:
    return re.findall(r'data-reference="(CP-\d{4}-\d{6})"', html)


def test_department_queue_shows_open_cases_overdue_first_and_filters(
        world: ConsoleWorld) -> None:
    _arrange(world, {
        JANE: {"status": "routed", "department": "quality", "due_in_days": 3},
        WANG: {"status": "routed", "department": "quality", "handler": "quinn",
               "due_in_days": -2},
        LINA: {"status": "closed", "department": "quality", "due_in_days": -9}})
    client = world.client()
    sign_in(client, "quinn")
    page = client.get("/department")
    assert page.status_code == 200
    assert _queue_order(page.text) == [WANG, JANE]  # the closed case is not in the way
    assert re.findall(r'class="row overdue"[^>]*data-reference="([^"]+)"', page.text) == [WANG]
    assert _queue_order(client.get("/department?view=mine").text) == [WANG]
    assert _queue_order(client.get("/department?view=unassigned").text) == [JANE]
    assert _queue_order(client.get("/department?view=overdue").text) == [WANG]
    assert _queue_order(client.get("/department?view=waiting").text) == []
    assert _queue_order(client.get("/department?view=all").text) == [LINA, JANE, WANG]
    assert re.search(r'id="count-department">2<', page.text)


def test_a_handler_never_sees_another_departments_queue(world: ConsoleWorld) -> None:
    _arrange(world, {WANG: {"status": "routed", "department": "quality"}})
    client = world.client()
    sign_in(client, "lou")
    assert _queue_order(client.get("/department?view=all").text) == []
    assert client.get("/approvals").status_code == 403
    assert client.get("/overdue").status_code == 403


def test_supervisors_have_approvals_and_overdue_with_counts(world: ConsoleWorld) -> None:
    add_staff(world.runtime.factory, "sam", "supervisor")
    _arrange(world, {
        WANG: {"status": "proposed", "department": "quality", "due_in_days": 4},
        JANE: {"status": "routed", "department": "logistics", "due_in_days": -1},
        LINA: {"status": "proposed", "department": "sales", "due_in_days": -3}})
    client = world.client()
    sign_in(client, "sam")
    approvals = client.get("/approvals")
    assert _queue_order(approvals.text) == [LINA, WANG]
    assert _queue_order(client.get("/overdue").text) == [LINA, JANE]
    assert re.search(r'id="count-approvals">2<', approvals.text)
    assert re.search(r'id="count-overdue">2<', approvals.text)
    assert re.search(r'id="count-review">0<', approvals.text)
    add_staff(world.runtime.factory, "mei", "supervisor", language="zh")
    chinese = world.client()
    sign_in(chinese, "mei")
    overdue = chinese.get("/overdue").text
    assert "待批准" in overdue and "<h1>已逾期</h1>" in overdue and "overdue_view" not in overdue
    waiting = chinese.get("/department?view=waiting").text
    assert "等待客户答复：处理方案已批准并发出" in waiting


def test_the_case_page_lists_the_customers_other_cases_as_each_role_may_see(
        world: ConsoleWorld) -> None:
    _arrange(world, {
        WANG: {"department": "quality", "status": "routed"},
        LINA: {"department": "logistics", "status": "routed",
               "customer_email": "wangwei@customer.example"},
        JANE: {"department": "quality", "status": "routed", "follows_case_id": 1}})
    intake = world.client()
    sign_in(intake, "ivy")
    page = intake.get(f"/cases/{WANG}").text
    history = page.split('id="history"')[1]
    assert f'href="/cases/{LINA}"' in history and "same customer" in history
    assert f'href="/cases/{JANE}"' in history and "follows this case" in history
    handler = world.client()
    sign_in(handler, "quinn")
    seen = handler.get(f"/cases/{WANG}").text.split('id="history"')[1]
    assert LINA not in seen  # another department's case: not shown, not hinted at
    assert f'href="/cases/{JANE}"' in seen
    assert "this case follows it" in handler.get(f"/cases/{JANE}").text


def test_staff_merge_a_duplicate_and_both_trails_say_so(world: ConsoleWorld) -> None:
    _arrange(world, {LINA: {"customer_email": "wangwei@customer.example"}})
    client = world.client()
    token = sign_in(client, "ivy")
    form = client.get(f"/cases/{LINA}").text
    assert 'id="merge-form"' in form and f'value="{WANG}"' in form  # suggested target
    done = client.post(f"/cases/{LINA}/merge", data={"csrf_token": token, "into": WANG},
                       follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/cases/{WANG}?done=merged_ok"
    target = client.get(done.headers["location"]).text
    assert "merged into this case" in target.lower() and f'href="/cases/{LINA}"' in target
    assert "Closed: merged into another case" in client.get(f"/cases/{LINA}").text
    with world.runtime.factory() as session:
        actions = {(e.case.reference, e.action) for e in session.scalars(select(CaseEvent))}
    assert {(LINA, "merged_into"), (WANG, "merged_from")} <= actions


def test_merge_is_refused_for_another_customer_without_csrf_and_for_handlers(
        world: ConsoleWorld) -> None:
    client = world.client()
    token = sign_in(client, "ivy")
    refused = client.post(f"/cases/{JANE}/merge", data={"csrf_token": token, "into": WANG})
    assert refused.status_code == 422
    assert "not of the same customer" in refused.text and "不属于同一客户" in refused.text
    assert client.post(f"/cases/{JANE}/merge", data={"into": WANG}).status_code == 403
    missing = client.post(f"/cases/{JANE}/merge", data={"csrf_token": token,
                                                        "into": "CP-2026-999999"})
    assert missing.status_code == 422 and "no case with that reference" in missing.text
    _arrange(world, {JANE: {"department": "quality", "status": "routed"}})
    handler = world.client()
    handler_token = sign_in(handler, "quinn")
    assert handler.post(f"/cases/{JANE}/merge", data={"csrf_token": handler_token,
                                                      "into": WANG}).status_code == 403
    with world.runtime.factory() as session:
        assert {c.status for c in session.scalars(select(Case))} <= {"new", "routed"}

