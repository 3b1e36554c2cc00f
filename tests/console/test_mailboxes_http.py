"""The console with several mailboxes: the case page names the mailbox that answers it,
its default department is the suggestion, and the "not ours" letter goes out from it."""

from __future__ import annotations

import email
import email.policy
import warnings
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from console.app import create_app
from pipeline.db.models import Case, OutboundMail
from tests.support import mails
from tests.support.console import add_staff, sign_in
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

MAILBOXES = """
[[mailbox]]
key = "default"
from_address = "complaints@shop.example"

[[mailbox]]
key = "brand-b"
name = "Brand B"
from_address = "service@brand-b.example"
from_name = "Brand B Service 品牌B客服"
language = "en"
department = "logistics"
"""


@pytest.fixture
def runtime_b(settings: Settings, tmp_path: Path) -> Iterator[Runtime]:
    path = tmp_path / "mailboxes.toml"
    path.write_text(MAILBOXES, encoding="utf-8")
    runtime = build_runtime(settings.model_copy(update={"mailboxes_file": str(path)}))
    add_staff(runtime.factory, "ada", "admin")
    yield runtime
    runtime.engine.dispose()


def from_of(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return str(message["From"]), str(message["Message-ID"])


def test_a_case_of_another_mailbox_is_answered_and_suggested_by_it(runtime_b: Runtime) -> None:
    ingest_bytes(runtime_b, mails.complaint(
        sender="王伟 <wangwei@customer.example>", subject="水壶漏水，质量太差",
        body="您好，我买的电水壶底部漏水，质量太差，请给我换一个。\n王伟\n"),
        name="a.eml", mailbox="brand-b")
    with runtime_b.factory() as session:
        case = session.scalars(select(Case)).one()
        ack = session.scalars(select(OutboundMail)).one()
    assert case.mailbox == "brand-b" and case.language == "zh"  # a clear mail keeps its own
    sender, message_id = from_of(ack.raw)
    assert parseaddr(sender)[1] == "service@brand-b.example"
    assert message_id.rstrip(">").endswith("@brand-b.example")

    app = create_app(runtime_b.settings, factory=runtime_b.factory,
                     make_transport=runtime_b.make_transport)
    client = TestClient(app, base_url="http://testserver")
    token = sign_in(client, "ada")
    page = client.get(f"/cases/{case.reference}").text
    assert "Brand B (service@brand-b.example)" in page
    # The keywords say quality; the mailbox's default department wins.
    assert 'name="suggested" value="logistics"' in page
    assert 'name="suggestion_source" value="mailbox"' in page

    response = client.post(f"/cases/{case.reference}/not-ours", data={
        "csrf_token": token,
        "explanation": "The kettle was sold by another shop; please contact them directly."},
        follow_redirects=False)
    assert response.status_code == 303
    with runtime_b.factory() as session:
        letter = session.scalars(
            select(OutboundMail).where(OutboundMail.kind == "not_ours")).one()
    sender, message_id = from_of(letter.raw)
    assert sender == "Brand B Service 品牌B客服 <service@brand-b.example>"
    assert message_id.rstrip(">").endswith("@brand-b.example")


def test_every_kind_of_mail_about_the_case_comes_from_its_mailbox(runtime_b: Runtime) -> None:
    """Deadline letters, surveys and written answers (queue_case_mail), staff reminders
    (queue_staff_mail) and the written answer's letterhead all use the case's mailbox."""
    from letters.acknowledgment import RenderedMail
    from pipeline.outbound.case_mail import queue_case_mail
    from pipeline.outbound.staff_mail import queue_staff_mail
    from pipeline.resolution.notices import sender

    ingest_bytes(runtime_b, mails.complaint(), name="a.eml", mailbox="brand-b")
    settings = runtime_b.settings
    with runtime_b.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        letter = RenderedMail(subject="Your survey", text="How did we do?", html=None)
        survey = queue_case_mail(session, settings=settings, case=case, kind="survey",
                                 rendered=letter, dedupe_key="s1")
        reminder = queue_staff_mail(session, settings=settings, case=case, kind="reminder",
                                    to_address="quality@shop.example", subject="Due soon",
                                    text="The deadline is near.", dedupe_key="r1")
        raws = [survey.raw, reminder.raw]
        letterhead = sender(settings, case.mailbox)
    for raw in raws:
        from_header, message_id = from_of(raw)
        assert from_header == "Brand B Service 品牌B客服 <service@brand-b.example>"
        assert message_id.rstrip(">").endswith("@brand-b.example")
    assert letterhead.email == "service@brand-b.example"
    assert letterhead.department == "Brand B Service 品牌B客服"
