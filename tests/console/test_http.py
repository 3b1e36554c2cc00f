"""The console over HTTP: sign-in, CSRF on every POST, roles, and the security cases."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from sqlalchemy import select

from pipeline.db.models import Attachment, Case, CaseEvent, OutboundMail
from tests.console.conftest import ConsoleWorld
from tests.support.console import PASSWORD, csrf_token, sign_in


def _case(world: ConsoleWorld, reference: str) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


def test_pages_need_a_sign_in_and_a_wrong_password_is_refused(world: ConsoleWorld) -> None:
    client = world.client()
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fqueue")
    form = client.get("/login")
    wrong = client.post("/login", data={"username": "ivy", "password": "nope nope nope",
                                        "csrf_token": csrf_token(form.text)})
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text or "用户名或密码错误" in wrong.text
    assert "console_session" not in client.cookies


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(world: ConsoleWorld) -> None:
    client = world.client()
    form = client.get("/login")
    response = client.post("/login", data={"username": "ivy", "password": PASSWORD,
                                           "csrf_token": csrf_token(form.text),
                                           "next": "https://evil.example/"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"  # never an open redirect
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    token = csrf_token(client.get("/queue").text)
    old_cookie = client.cookies["console_session"]
    client.post("/logout", data={"csrf_token": token})
    client.cookies.set("console_session", old_cookie)
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_login_without_its_csrf_cookie_is_refused(world: ConsoleWorld) -> None:
    client = world.client()
    response = client.post("/login", data={"username": "ivy", "password": PASSWORD,
                                           "csrf_token": "made-up"})
    assert response.status_code == 403
    assert "console_session" not in client.cookies


def test_every_post_without_the_csrf_token_is_refused(world: ConsoleWorld) -> None:
    client = world.client()
    sign_in(client, "ivy")
    posts = {
        "/cases/CP-2026-000001/correct": {"customer_name": "Mallory"},
        "/cases/CP-2026-000001/route": {"department": "quality"},
        "/cases/CP-2026-000001/not-ours": {"explanation": "x" * 40},
        "/quarantine/1/reprocess": {},
        "/language": {"language": "zh"},
        "/logout": {},
        "/users": {"username": "eve", "password": "x" * 12, "role": "admin"},
    }
    for path, data in posts.items():
        for token in (None, "wrong-token"):
            sent = dict(data, **({"csrf_token": token} if token else {}))
            response = client.post(path, data=sent, follow_redirects=False)
            assert response.status_code == 403, path
    case = _case(world, "CP-2026-000001")
    assert (case.customer_name, case.status) == ("王伟", "new")
    assert client.get("/queue").status_code == 200  # still signed in: logout was refused


def test_correcting_a_field_records_old_and_new(world: ConsoleWorld) -> None:
    client = world.client()
    token = sign_in(client, "ivy")
    page = client.get("/cases/CP-2026-000001")
    assert page.status_code == 200 and "快递送来的水壶漏水" in page.text
    response = client.post("/cases/CP-2026-000001/correct", data={
        "csrf_token": token, "customer_name": "王小伟",
        "customer_email": "wangwei@customer.example",
        "customer_phone": "138 0013 8000", "subject": "快递送来的水壶漏水",
        "what_happened": "快递昨天送到的电水壶底部漏水，请给我换一个。", "language": "zh",
        "demands": ["replacement"], "demands_shown": "1", "order_numbers": ""})
    assert response.status_code == 200 and "Saved." in response.text
    with world.runtime.factory() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "corrected")).one()
    assert event.actor == "ivy"
    assert event.detail["changes"]["customer_name"] == {"old": "王伟", "new": "王小伟"}
    assert event.detail["changes"]["customer_phone"]["new"] == "+8613800138000"
    bad = client.post("/cases/CP-2026-000001/correct", data={
        "csrf_token": token, "customer_phone": "12", "language": "zh"})
    assert bad.status_code == 422 and "not a valid phone number" in bad.text
    partial = client.post("/cases/CP-2026-000001/correct", data={
        "csrf_token": token, "customer_address": "上海市浦东新区世纪大道100号"})
    assert partial.status_code == 200
    case = _case(world, "CP-2026-000001")
    assert (case.customer_name, case.demands) == ("王小伟", ["replacement"])  # untouched
    assert case.customer_address == "上海市浦东新区世纪大道100号"


def test_routing_moves_the_case_to_the_department_only(world: ConsoleWorld) -> None:
    intake = world.client()
    token = sign_in(intake, "ivy")
    intake.post("/cases/CP-2026-000001/correct", data={"csrf_token": token, "severity": "normal"})
    response = intake.post("/cases/CP-2026-000001/route", data={
        "csrf_token": token, "department": "quality", "responsibility": "ours",
        "suggested": "quality", "suggestion_source": "keywords", "opinion": "换货"})
    assert response.status_code == 200 and "Routed." in response.text
    assert "CP-2026-000001" not in intake.get("/queue").text
    case = _case(world, "CP-2026-000001")
    assert (case.status, case.department, case.responsibility) == ("routed", "quality", "ours")
    with world.runtime.factory() as session:
        notice = session.scalar(select(OutboundMail).where(
            OutboundMail.kind == "department_notice"))
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "status")).one()
    assert notice is not None and notice.to_address == "quality@example.com"
    parsed = email.message_from_bytes(notice.raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "/cases/CP-2026-000001" in body.get_content()
    pdfs = [p for p in parsed.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_content().startswith(b"%PDF")
    assert event.detail["department"] == "quality" and event.detail["suggested"] == "quality"

    own = world.client()
    sign_in(own, "quinn")
    assert "CP-2026-000001" in own.get("/department").text
    assert own.get("/cases/CP-2026-000001").status_code == 200
    other = world.client()
    sign_in(other, "lou")
    assert "CP-2026-000001" not in other.get("/department").text
    assert "CP-2026-000001" not in other.get("/search?q=水壶").text
    assert other.get("/cases/CP-2026-000001").status_code == 404


def test_handlers_cannot_see_other_departments_cases_or_attachments(world: ConsoleWorld) -> None:
    with world.runtime.factory() as session:
        attachment = session.scalars(select(Attachment)).one()
        reference = session.get(Case, attachment.case_id).reference  # type: ignore[union-attr]
    handler = world.client()
    token = sign_in(handler, "lou")
    assert handler.get(f"/cases/{reference}").status_code == 404
    assert handler.get(f"/cases/{reference}/attachments/{attachment.id}").status_code == 404
    assert handler.get("/cases/CP-2026-000002/original/2").status_code == 404
    assert handler.get("/queue").status_code == 403
    assert handler.get("/quarantine").status_code == 403
    assert handler.get("/users").status_code == 403
    refused = handler.post("/cases/CP-2026-000001/route",
                           data={"csrf_token": token, "department": "logistics"})
    assert refused.status_code == 403
    assert _case(world, "CP-2026-000001").status == "new"


def test_hostile_attachment_names_download_harmlessly(world: ConsoleWorld) -> None:
    with world.runtime.factory() as session:
        attachment = session.scalars(select(Attachment)).one()
        reference = session.get(Case, attachment.case_id).reference  # type: ignore[union-attr]
    client = world.client()
    sign_in(client, "ivy")
    page = client.get(f"/cases/{reference}")
    assert "\x00" not in page.text and "<script>alert" not in page.text
    response = client.get(f"/cases/{reference}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.content == b"<script>alert(1)</script>"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.split("filename*=")[0].split("filename=")[1]
    assert "\x00" not in disposition and "\r" not in disposition and "\n" not in disposition


def test_hostile_html_is_sanitised_and_framed_without_scripts(world: ConsoleWorld) -> None:
    client = world.client()
    sign_in(client, "ivy")
    page = client.get("/cases/CP-2026-000002")
    assert 'sandbox=""' in page.text and "allow-scripts" not in page.text
    assert "tracker.example" not in page.text.split("<details>")[0]
    framed = client.get("/cases/CP-2026-000002/original/2")
    csp = framed.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    body = framed.text.lower()
    for hostile in ("<script", "onerror", "onclick", "<form", "<iframe", "javascript:",
                    "http://", "@import", "<input"):
        assert hostile not in body, hostile
    assert "crushed" in body and "jane" in body


def test_console_pages_carry_security_headers(world: ConsoleWorld) -> None:
    client = world.client()
    for response in (client.get("/login"), client.get("/static/console.css")):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_search_finds_chinese_and_english_text_and_filters(world: ConsoleWorld) -> None:
    client = world.client()
    sign_in(client, "ivy")
    assert "CP-2026-000001" in client.get("/search?q=水壶").text
    english = client.get("/search?q=CRUSHED").text
    assert "CP-2026-000002" in english and "CP-2026-000001" not in english
    assert "CP-2026-000001" in client.get("/search?customer=wangwei").text
    exact = client.get("/search?customer=WangWei@customer.example").text
    assert "CP-2026-000001" in exact and "CP-2026-000002" not in exact
    assert "CP-2026-000003" in client.get("/search?reference=000003").text
    none = client.get("/search?q=100%25_").text
    assert "No cases match." in none
    filtered = client.get("/search?status=routed").text
    assert "CP-2026-000001" not in filtered


def test_admin_adds_users_and_others_may_not(world: ConsoleWorld) -> None:
    admin = world.client()
    token = sign_in(admin, "ada")
    response = admin.post("/users", data={
        "csrf_token": token, "username": "sam", "password": "long enough pw",
        "role": "handler", "department": "sales", "language": "zh", "display_name": "Sam"})
    assert response.status_code == 200 and "sam" in response.text
    short = admin.post("/users", data={"csrf_token": token, "username": "tim",
                                       "password": "short", "role": "intake"})
    assert short.status_code == 422
    new = world.client()
    sign_in(new, "sam", "long enough pw")
    assert new.get("/department").status_code == 200
    assert "本部门" in new.get("/department").text  # the user's own language
