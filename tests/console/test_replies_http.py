"""Writing to the customer from the case page, and every customer mail being seen.

CP-2026-000001 is 王伟's kettle complaint (wangwei@customer.example), routed to the
quality department (quinn is its handler; lou handles logistics). Outgoing mail goes
to a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import select

from config.settings import Settings
from pipeline.conversation.customer_wrote import CUSTOMER_WROTE
from pipeline.db.models import (
    Case,
    CaseEvent,
    Correspondence,
    InboundMail,
    OutboundMail,
    PrintLetter,
    ReplyTemplate,
    StaffAudit,
    User,
)
from pipeline.resolution.disputes import DISPUTED
from tests.console.conftest import ConsoleWorld, attachment_mail, ingest_two_complaints
from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails
from tests.support.console import add_staff, sign_in
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.inline import ingest_bytes

REF = "CP-2026-000001"
CUSTOMER = "王伟 <wangwei@customer.example>"


@pytest.fixture
def world(settings: Settings, sink: SmtpSink) -> Iterator[ConsoleWorld]:
    smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                       "smtp_starttls": False})
    runtime = build_runtime(smtp)
    ingest_two_complaints(runtime)
    ingest_bytes(runtime, attachment_mail("photo.html"), name="c.eml")
    for name, role, department in (("ivy", "intake", None), ("quinn", "handler", "quality"),
                                   ("lou", "handler", "logistics"), ("ada", "admin", None)):
        add_staff(runtime.factory, name, role, department)
    yield ConsoleWorld(runtime, smtp)
    runtime.engine.dispose()


def _case(world: ConsoleWorld, reference: str = REF) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


def _route(world: ConsoleWorld, reference: str = REF) -> None:
    ivy = world.client()
    token = sign_in(ivy, "ivy")
    ivy.post(f"/cases/{reference}/route", data={"csrf_token": token, "department": "quality",
                                                "responsibility": "ours"})
    assert _case(world, reference).status == "routed"


def _customer_writes(world: ConsoleWorld, sender: str = CUSTOMER,
                     body: str = "请问什么时候换货？", reference: str = REF) -> str:
    raw = mails.reply(to_message_id=None, subject=f"回复：[{reference}] 水壶", body=body,
                      sender=sender)
    ingest_bytes(world.runtime, raw, name="r.eml")
    return str(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"])


def _sent_to(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _, rcpts, raw in sink.messages if address in rcpts]


def _pdf(text: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def test_a_handler_replies_with_a_file_threaded_under_the_customers_mail(
    world: ConsoleWorld, sink: SmtpSink
) -> None:
    _route(world)
    customer_mail_id = _customer_writes(world)
    quinn = world.client()
    token = sign_in(quinn, "quinn")
    page = quinn.get(f"/cases/{REF}")
    assert 'id="reply-form"' in page.text and "wangwei@customer.example" in page.text
    form = page.text.split('name="reply_token" value="')[1].split('"')[0]

    response = quinn.post(f"/cases/{REF}/reply", data={
        "csrf_token": token, "reply_token": form,
        "text": "王先生您好：\n新水壶已于今天发出 <b>顺丰</b>。"},
        files=[("files", ("发货单.pdf", _pdf("waybill"), "application/pdf"))],
        follow_redirects=False)
    assert response.status_code == 303 and "reply_sent_email" in response.headers["location"]
    world.deliver()  # what the outbox worker does with the ids the console handed on
    wait_until(lambda: any("关于您的投诉" in str(m["Subject"])
                           for m in _sent_to(sink, "wangwei@customer.example")),
               10, "the reply at the SMTP server")
    (mail,) = [m for m in _sent_to(sink, "wangwei@customer.example")
               if "关于您的投诉" in str(m["Subject"])]
    assert str(mail["Subject"]).startswith(f"[{REF}]")
    assert mail["In-Reply-To"] == customer_mail_id
    assert customer_mail_id in str(mail["References"])
    body = mail.get_body(("plain",))
    assert body is not None and "新水壶已于今天发出 <b>顺丰</b>" in body.get_content()
    html = mail.get_body(("html",))
    assert html is not None and "&lt;b&gt;顺丰&lt;/b&gt;" in html.get_content()
    (attached,) = list(mail.iter_attachments())
    assert attached.get_filename() == "发货单.pdf"
    assert attached.get_content().startswith(b"%PDF-")

    with world.runtime.factory() as session:
        kinds = [c.kind for c in session.scalars(select(Correspondence).where(
            Correspondence.direction == "out"))]
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "staff_reply")).one()
    assert "staff_reply" in kinds
    assert (event.actor, event.detail["channel"], event.detail["files"]) == (
        "quinn", "email", ["发货单.pdf"])
    case = _case(world)
    assert case.customer_wrote_at is None and case.attention == ""  # answered

    again = quinn.post(f"/cases/{REF}/reply", data={  # a double submit sends nothing more
        "csrf_token": token, "reply_token": form, "text": "王先生您好"},
        follow_redirects=False)
    assert again.status_code == 303
    with world.runtime.factory() as session:
        assert len(session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "staff_reply")).all()) == 1


def test_without_a_working_address_the_reply_is_printed(world: ConsoleWorld) -> None:
    with world.runtime.factory() as session, session.begin():
        case = session.scalar(select(Case).where(Case.reference == REF))
        assert case is not None
        case.email_undeliverable, case.customer_address = True, "上海市徐汇区某路1号"
    ivy = world.client()
    token = sign_in(ivy, "ivy")
    page = ivy.get(f"/cases/{REF}")
    assert "print queue" in page.text
    refused = ivy.post(f"/cases/{REF}/reply", data={"csrf_token": token, "text": "您好"},
                       files=[("files", ("photo.png", b"\x89PNG....", "image/png"))])
    assert refused.status_code == 422 and "only PDF files" in refused.text
    assert "您好" in refused.text  # what staff wrote is kept
    done = ivy.post(f"/cases/{REF}/reply", data={"csrf_token": token, "text": "您好，已处理。"},
                    files=[("files", ("清单.pdf", _pdf("list"), "application/pdf"))],
                    follow_redirects=False)
    assert "reply_sent_post" in done.headers["location"]
    with world.runtime.factory() as session:
        letter = session.scalars(select(PrintLetter).where(
            PrintLetter.kind.like("staff_reply%"))).one()
        assert session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "staff_reply")).all() == []
    reader = PdfReader(io.BytesIO(letter.pdf))
    assert letter.pages == len(reader.pages) >= 2  # the letter, then the enclosed PDF
    assert "list" in reader.pages[-1].extract_text()


def test_only_staff_who_may_see_the_case_can_reply(world: ConsoleWorld) -> None:
    _route(world)
    lou = world.client()
    token = sign_in(lou, "lou")
    assert lou.post(f"/cases/{REF}/reply", data={"csrf_token": token,
                                                 "text": "hi"}).status_code == 404
    quinn = world.client()
    sign_in(quinn, "quinn")
    assert quinn.post(f"/cases/{REF}/reply", data={"text": "hi"}).status_code == 403
    too_big = quinn.post(f"/cases/{REF}/reply", content=b"x" * 13_000_000,
                         headers={"content-type": "multipart/form-data; boundary=x"})
    assert too_big.status_code == 413
    with world.runtime.factory() as session:
        assert session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "staff_reply")).all() == []


def test_admins_keep_reply_templates_and_staff_start_from_them(world: ConsoleWorld) -> None:
    ivy = world.client()
    ivy_token = sign_in(ivy, "ivy")
    assert ivy.get("/reply-templates").status_code == 403
    assert ivy.post("/reply-templates", data={"csrf_token": ivy_token, "name": "x",
                                              "language": "zh", "body": "x"}).status_code == 403
    ada = world.client()
    token = sign_in(ada, "ada")
    added = ada.post("/reply-templates", data={
        "csrf_token": token, "name": "换货已发出", "language": "zh",
        "body": "{name}您好：\n您的投诉 {reference} 已处理 <script>x</script>。"},
        follow_redirects=False)
    assert added.status_code == 303
    assert ada.post("/reply-templates", data={"csrf_token": token, "name": "换货已发出",
                                              "language": "zh", "body": "dup"}).status_code == 422
    with world.runtime.factory() as session:
        template = session.scalars(select(ReplyTemplate)).one()
    page = ivy.get(f"/cases/{REF}?template={template.id}")
    filled = "王伟您好：\n您的投诉 CP-2026-000001 已处理 &lt;script&gt;x&lt;/script&gt;。"
    assert filled in page.text
    assert "<script>x</script>" not in page.text
    english = ivy.get("/cases/CP-2026-000002")  # an English case lists only English ones
    assert 'id="reply-template-form"' not in english.text

    edited = ada.post(f"/reply-templates/{template.id}", data={
        "csrf_token": token, "action": "edit", "name": "换货", "language": "zh", "body": "新"},
        follow_redirects=False)
    assert edited.status_code == 303
    ada.post(f"/reply-templates/{template.id}", data={"csrf_token": token, "action": "delete"})
    with world.runtime.factory() as session:
        assert session.scalars(select(ReplyTemplate)).all() == []
        actions = [a.action for a in session.scalars(select(StaffAudit))]
    assert {"reply_template_added", "reply_template_edited",
            "reply_template_deleted"} <= set(actions)


def test_a_verified_reply_on_a_routed_case_is_seen(world: ConsoleWorld, sink: SmtpSink) -> None:
    _route(world)
    _customer_writes(world)
    case = _case(world)
    assert case.attention == CUSTOMER_WROTE and case.customer_wrote_at is not None
    wait_until(lambda: any("客户来信" in str(m["Subject"])
                           for m in _sent_to(sink, "quality@example.com")),
               10, "the department's notice")
    notice = next(m for m in _sent_to(sink, "quality@example.com")
                  if "客户来信" in str(m["Subject"]))
    body = notice.get_body(("plain",))
    assert body is not None and f"/cases/{REF}" in body.get_content()
    assert "请问什么时候换货" not in body.get_content()  # the mail itself stays in the console

    quinn = world.client()
    token = sign_in(quinn, "quinn")
    _route(world, "CP-2026-000002")
    rows = quinn.get("/department").text.split('<tr class="row"')[1:]
    assert REF in rows[0] and "customer wrote" in rows[0] and "customer wrote" not in rows[1]
    quinn.post(f"/cases/{REF}/reply", data={"csrf_token": token, "text": "已安排换货。"})
    _customer_writes(world, sender="Jane Smith <jane@customer.example>", body="Any news?",
                     reference="CP-2026-000002")
    rows = quinn.get("/department").text.split('<tr class="row"')[1:]  # newer, yet on top
    assert "CP-2026-000002" in rows[0] and "customer wrote" in rows[0]
    assert REF in rows[1] and "customer wrote" not in rows[1]

    with world.runtime.factory() as session, session.begin():  # a named handler is told
        handler = session.scalar(select(User).where(User.username == "quinn"))
        assert handler is not None
        handler.email = "quinn@shop.example"
        row = session.scalar(select(Case).where(Case.reference == REF))
        assert row is not None
        row.handler = "quinn"
    _customer_writes(world, body="还有，包装也破了。")
    wait_until(lambda: bool(_sent_to(sink, "quinn@shop.example")), 10, "the handler's notice")


def test_a_refusal_keeps_its_own_note_and_still_tells_the_department(
    world: ConsoleWorld, sink: SmtpSink
) -> None:
    _route(world)
    with world.runtime.factory() as session, session.begin():
        case = session.scalar(select(Case).where(Case.reference == REF))
        assert case is not None
        case.status = "approved"  # the notice went out; the customer answers it
    _customer_writes(world, body="我不同意这个处理方案。")
    case = _case(world)
    assert case.attention == DISPUTED and case.customer_wrote_at is not None
    wait_until(lambda: any("客户来信" in str(m["Subject"])
                           for m in _sent_to(sink, "quality@example.com")),
               10, "the department's notice")


def test_a_mail_on_a_case_still_in_review_is_flagged_for_intake_only(
    world: ConsoleWorld,
) -> None:
    _customer_writes(world)
    case = _case(world)
    assert case.status == "new" and case.attention == CUSTOMER_WROTE
    with world.runtime.factory() as session:
        assert session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "customer_wrote")).all() == []
    ivy = world.client()
    sign_in(ivy, "ivy")
    rows = ivy.get("/queue").text.split('<tr class="row"')[1:]
    assert any(REF in row and "customer wrote" in row for row in rows)


def test_an_unverified_mail_flags_nothing_for_the_department(
    world: ConsoleWorld, sink: SmtpSink
) -> None:
    _route(world)
    _customer_writes(world, sender="Mallory <mallory@evil.example>")
    case = _case(world)
    assert case.customer_wrote_at is None and case.attention != CUSTOMER_WROTE
    with world.runtime.factory() as session:
        assert session.scalars(select(OutboundMail).where(
            OutboundMail.kind == "customer_wrote")).all() == []
        assert session.scalar(select(InboundMail.classification).order_by(
            InboundMail.id.desc()).limit(1)) == "unverified-reply"
    quinn = world.client()
    sign_in(quinn, "quinn")
    assert "customer wrote" not in quinn.get("/department").text


def _cli_env(settings: Settings) -> dict[str, str]:
    env = clean_env()
    env["COMPLAINTS_DATA_DIR"] = str(settings.data_dir)
    env["COMPLAINTS_FROM_ADDRESS"] = settings.from_address
    env["COMPLAINTS_SMTP_HOST"] = settings.smtp_host
    env["COMPLAINTS_SMTP_PORT"] = str(settings.smtp_port)
    env["COMPLAINTS_SMTP_STARTTLS"] = "false"
    if settings.database_url:
        env["COMPLAINTS_DATABASE_URL"] = settings.database_url
    env["COMPLAINTS_TEST_REDIS"] = os.environ.get("COMPLAINTS_TEST_REDIS", "")
    return env


def test_the_cli_replies_and_keeps_templates(world: ConsoleWorld, sink: SmtpSink,
                                             tmp_path: Path) -> None:
    _route(world)
    customer_mail_id = _customer_writes(world)
    env, cwd = _cli_env(world.settings), Path(world.settings.data_dir).parent
    text = tmp_path / "reply.txt"
    text.write_text("王先生您好：\n新水壶已发出。\n", encoding="utf-8")
    photo = tmp_path / "waybill.pdf"
    photo.write_bytes(_pdf("waybill"))

    refused = complaints("cases", "reply", REF, "--text-file", str(text), "--by", "lou",
                         cwd=cwd, env=env)  # logistics handles other cases
    assert refused.returncode == 1 and "may not write" in refused.stderr
    done = complaints("cases", "reply", REF, "--text-file", str(text), "--attach", str(photo),
                      "--by", "quinn", "--json", cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"outbound_id": None} == {
        "reference": REF, "kind": "staff_reply", "channel": "email",
        "to": "wangwei@customer.example", "outbound_id": None, "letter_id": None}
    (mail,) = [m for m in _sent_to(sink, "wangwei@customer.example")
               if "关于您的投诉" in str(m["Subject"])]  # sent by the command itself
    assert mail["In-Reply-To"] == customer_mail_id
    assert [a.get_filename() for a in mail.iter_attachments()] == ["waybill.pdf"]
    shown = json.loads(complaints("cases", "show", REF, "--json", cwd=cwd, env=env).stdout)
    assert "staff_reply" in [c["kind"] for c in shown["correspondence"]]
    assert "staff_reply" in [e["action"] for e in shown["events"]]

    with world.runtime.factory() as session, session.begin():
        case = session.scalar(select(Case).where(Case.reference == REF))
        assert case is not None
        case.email_undeliverable = True
    posted = complaints("cases", "reply", REF, "--text-file", str(text), "--by", "ivy",
                        cwd=cwd, env=env)
    assert posted.returncode == 0 and "print queue" in posted.stdout

    body = tmp_path / "template.txt"
    body.write_text("{name}您好：", encoding="utf-8")
    not_admin = complaints("reply-templates", "add", "--name", "问候", "--language", "zh",
                           "--text-file", str(body), "--by", "ivy", cwd=cwd, env=env)
    assert not_admin.returncode == 1
    added = complaints("reply-templates", "add", "--name", "问候", "--language", "zh",
                       "--text-file", str(body), "--by", "ada", cwd=cwd, env=env)
    assert added.returncode == 0, added.stderr
    listed = json.loads(complaints("reply-templates", "list", "--json", cwd=cwd, env=env).stdout)
    assert [(t["name"], t["language"], t["body"]) for t in listed] == [
        ("问候", "zh", "{name}您好：")]
