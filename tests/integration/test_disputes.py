"""A rejected plan goes back to be revised, through the real intake.

GIVEN an approved resolution whose notice went out, WHEN the verified customer refuses
it (or asks questions), THEN the case is ``disputed`` with their words; the department
proposes again, approval follows the usual rules, and notice v2 names notice v1; both
notices stay archived as they were sent. At ``disputes.max_rounds`` a supervisor steps in.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from config.policies import load_policies
from config.settings import Settings
from pipeline.cases.lifecycle import move
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, Notice, OutboundMail, Resolution
from pipeline.resolution.disputes import dispute_words
from pipeline.resolution.proposals import Proposal
from pipeline.resolution.workflow import approve_proposal, submit_proposal
from tests.support import mails
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

CUSTOMER = "Jane Smith <jane@customer.example>"
STRANGER = "Mallory <mallory@elsewhere.example>"
FIXED = Proposal(findings="Faulty seal.", method="replacement", loss_amount="0",
                 compensation_amount="0",
                 answers=[("Asks for a replacement", "A new kettle ships today.")])
REVISED = Proposal(findings="Faulty seal; the customer also lost a day.", method="compensation",
                   loss_amount="100", compensation_amount="100",
                   answers=[("Asks for a replacement", "A new kettle and 100 yuan.")])


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    settings = settings.model_copy(update={"supervisor_address": "supervisors@shop.example"})
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


def _notified_case(runtime: Runtime) -> str:
    """A complaint through the intake, routed, resolved under the fixed policy: notice v1."""
    ingest_bytes(runtime, mails.complaint(sender=CUSTOMER), name="complaint.eml")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        move(session, case=case, to="routed", by="intake")
        case.department = "quality"
        _submit(runtime, session, case, FIXED)
        assert case.status == "approved"
        return case.reference


def _submit(runtime: Runtime, session, case: Case, proposal: Proposal) -> Resolution:  # type: ignore[no-untyped-def]
    return submit_proposal(session, case=case, proposal=proposal, settings=runtime.settings,
                           policies=load_policies(runtime.settings), department_name="Quality",
                           by="handler", now=utcnow())


def _reply(runtime: Runtime, reference: str, body: str, name: str,
           sender: str = CUSTOMER) -> None:
    ingest_bytes(runtime, mails.reply(to_message_id=None, subject=f"Re: [{reference}] kettle",
                                      body=body, sender=sender), name=name)


def _case(runtime: Runtime) -> Case:
    with runtime.factory() as session:
        return session.scalars(select(Case)).one()


def _notices(runtime: Runtime) -> list[Notice]:
    with runtime.factory() as session:
        return list(session.scalars(select(Notice).where(Notice.kind == "resolution")
                                    .order_by(Notice.id)))


def _body(raw: bytes) -> str:
    """The plain-text part of a mail we queued, decoded."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def test_refusal_revision_approval_notice_v2_then_agreement_closes(runtime: Runtime) -> None:
    reference = _notified_case(runtime)
    (first,) = _notices(runtime)
    first_sha = first.sha256

    _reply(runtime, reference, "I do not agree. I also lost a day off work waiting.", "no.eml")
    case = _case(runtime)
    assert (case.status, case.dispute_rounds) == ("disputed", 1)
    with runtime.factory() as session:
        assert "lost a day off work" in dispute_words(session, case)

    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        revised = _submit(runtime, session, case, REVISED)
        assert (revised.version, revised.status, case.status) == (2, "proposed", "proposed")
        approve_proposal(session, case=case, instructions="Pay it.", settings=runtime.settings,
                         department_name="Quality", by="boss", now=utcnow())
        assert case.status == "approved"

    first_again, second = _notices(runtime)
    assert first_again.id == first.id and first_again.sha256 == first_sha
    assert hashlib.sha256(first_again.pdf).hexdigest() == first_sha  # archived unchanged
    assert second.filename.endswith("-resolution-v2.pdf")
    assert first.filename.endswith("-resolution.pdf")
    with runtime.factory() as session:
        mail = session.get(OutboundMail, second.outbound_mail_id)
        assert mail is not None
        assert "It replaces our notice no. 1 of" in _body(mail.raw)
    if shutil.which("pdftotext"):
        text = " ".join(_pdf_text(second.pdf).split())
        assert "replaces our notice no. 1 of" in text
        assert "replaces" not in _pdf_text(first_again.pdf)

    _reply(runtime, reference, "I agree.", "agree.eml")
    case = _case(runtime)
    assert (case.status, case.closing_kind, case.agreement_via) == ("closed", "agreed", "reply")


def test_a_reply_with_questions_disputes_the_case(runtime: Runtime) -> None:
    reference = _notified_case(runtime)
    _reply(runtime, reference, "When will the new kettle arrive? Who pays the postage?", "q.eml")
    assert _case(runtime).status == "disputed"


def test_a_refusal_from_another_address_changes_nothing(runtime: Runtime) -> None:
    reference = _notified_case(runtime)
    _reply(runtime, reference, "I do not agree.", "forged.eml", sender=STRANGER)
    case = _case(runtime)
    assert (case.status, case.dispute_rounds) == ("approved", 0)


def test_at_max_rounds_a_supervisor_steps_in(runtime: Runtime) -> None:
    assert load_policies(runtime.settings).dispute_max_rounds == 2
    reference = _notified_case(runtime)
    _reply(runtime, reference, "I do not agree.", "no1.eml")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        assert _submit(runtime, session, case, FIXED).status == "approved"  # policy, round 1
    assert len(_notices(runtime)) == 2
    _reply(runtime, reference, "I still do not agree.", "no2.eml")
    case = _case(runtime)
    assert (case.status, case.dispute_rounds) == ("disputed", 2)
    assert case.attention.startswith("The customer has refused the resolution again")
    with runtime.factory() as session:
        (mail,) = session.scalars(select(OutboundMail)
                                  .where(OutboundMail.kind == "dispute_escalation")).all()
        assert mail.to_address == "supervisors@shop.example"
        assert "I still do not agree." in _body(mail.raw)
        assert session.scalars(select(CaseEvent).where(
            CaseEvent.action == "dispute_escalated")).one().detail["rounds"] == 2
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        third = _submit(runtime, session, case, FIXED)
        # The fixed policy would approve this by itself; now a supervisor must.
        assert (third.needs_approval, third.status, case.status) == (True, "proposed", "proposed")
