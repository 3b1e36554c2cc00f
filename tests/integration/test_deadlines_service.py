"""Deadlines on routed cases: set from the policies, told to the customer, moved with a reason."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from config.policies import load_policies
from pipeline.db.models import Case, CaseDeadline, CaseEvent, OutboundMail, PrintLetter
from pipeline.resolution.deadlines import DeadlineError, Handler, move_deadline, set_deadline
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

ROUTED_AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai
QUALITY = Handler(department_name="质量管理部", contact_name="李娜")


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    return runtime


def _set(runtime: Runtime, **case_fields: object) -> None:
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        for name, value in case_fields.items():
            setattr(case, name, value)
        set_deadline(session, case=case, settings=runtime.settings,
                     policies=load_policies(runtime.settings), handler=QUALITY, by="alice",
                     now=ROUTED_AT)


def _letters(runtime: Runtime) -> list[OutboundMail]:
    with runtime.factory() as session:
        return list(session.scalars(
            select(OutboundMail).where(OutboundMail.kind.like("deadline%")).order_by(OutboundMail.id)
        ))


def _body(outbound: OutboundMail) -> str:
    message = email.message_from_bytes(outbound.raw, policy=email.policy.default)
    part = message.get_body(("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


def test_routing_sets_the_policy_deadline_and_tells_the_customer(runtime: Runtime) -> None:
    _set(runtime, category="quality", severity="high")
    with runtime.factory() as session:
        deadline = session.scalars(select(CaseDeadline)).one()
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "deadline_set")).one()
        ack = session.scalars(
            select(OutboundMail).where(OutboundMail.kind == "acknowledgment")
        ).one()
    # High severity: 5 working days from Thursday 26 Nov → Thursday 3 Dec, 18:00 Shanghai.
    assert deadline.due_at == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert deadline.remind_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert deadline.working_days == 5 and event.actor == "alice"
    (letter,) = _letters(runtime)
    message = email.message_from_bytes(letter.raw)
    assert message["In-Reply-To"] is not None
    assert ack.message_id in message["References"]
    assert "Auto-Submitted" not in message
    body = _body(letter)
    assert "by 3 December 2026" in body and "李娜" in body


def test_a_second_deadline_is_refused(runtime: Runtime) -> None:
    _set(runtime)
    with pytest.raises(DeadlineError, match="already has a deadline"):
        _set(runtime)
    assert len(_letters(runtime)) == 1


def test_moving_needs_a_reason_and_tells_the_customer_the_new_date(runtime: Runtime) -> None:
    _set(runtime)
    policies = load_policies(runtime.settings)
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        with pytest.raises(DeadlineError, match="Say why"):
            move_deadline(session, case=case, settings=runtime.settings, policies=policies,
                          handler=QUALITY, new_working_days=3, reason="  ", by="bob",
                          now=ROUTED_AT)
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        deadline = session.get(CaseDeadline, case.id)
        assert deadline is not None
        deadline.reminded_at = ROUTED_AT
        move_deadline(session, case=case, settings=runtime.settings, policies=policies,
                      handler=QUALITY, new_working_days=15, reason="Waiting for the lab report",
                      by="bob", now=ROUTED_AT)
    with runtime.factory() as session:
        deadline = session.scalars(select(CaseDeadline)).one()
        assert deadline.changes == 1 and deadline.reminded_at is None
        assert deadline.reason == "Waiting for the lab report"
    _, moved = _letters(runtime)
    assert moved.kind == "deadline_moved" and moved.dedupe_key == "2"
    body = _body(moved)
    assert "Waiting for the lab report" in body


def test_customer_without_email_gets_a_printed_letter(runtime: Runtime, tmp_path: Path) -> None:
    _set(runtime, customer_email="", customer_address="10 Downing Street\nLondon SW1A 2AA")
    assert _letters(runtime) == []
    with runtime.factory() as session:
        printed = session.scalars(select(PrintLetter)).one()
    assert (printed.kind, printed.status) == ("deadline-1", "waiting")
    if shutil.which("pdftotext"):
        (tmp_path / "letter.pdf").write_bytes(printed.pdf)
        text = subprocess.run(["pdftotext", str(tmp_path / "letter.pdf"), "-"],
                              capture_output=True, check=True).stdout.decode()
        assert "10 Downing Street" in text and "by 10 December 2026" in text
        assert "write to us quoting the reference" in text and "reply to this email" not in text
