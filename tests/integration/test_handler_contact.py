"""The written resolution names the person responsible as the contact (issue 13)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from config.policies import load_policies
from pipeline.cases.lifecycle import move
from pipeline.cases.responsible import AssignmentError, assign_handler, contact_name
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, Notice
from pipeline.resolution.proposals import Proposal
from pipeline.resolution.workflow import approve_proposal, submit_proposal
from tests.support import mails
from tests.support.console import add_staff
from workers.inline import ingest_bytes
from workers.runtime import Runtime


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """One complaint routed to quality, with a handler of quality responsible."""
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    add_staff(runtime.factory, "mei", "handler", "quality")
    add_staff(runtime.factory, "lou", "handler", "logistics")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        case.department = "quality"
        move(session, case=case, to="routed", by="intake")
        assign_handler(session, case=case, handler="mei", by="boss")
    return runtime


def test_the_notice_names_the_handler_when_the_proposal_names_nobody(
    runtime: Runtime, tmp_path: Path,
) -> None:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the notice")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        submit_proposal(
            session, case=case, settings=runtime.settings,
            policies=load_policies(runtime.settings), department_name="Quality",
            by="mei", now=utcnow(),
            proposal=Proposal(findings="Seal fitted wrongly.", method="compensation",
                              loss_amount="100", compensation_amount="800",
                              answers=[("It leaks", "We replace it.")], contact_person=""))
    with runtime.factory() as session, session.begin():
        approve_proposal(session, case=session.scalars(select(Case)).one(),
                         settings=runtime.settings, department_name="Quality",
                         instructions="OK", by="boss", now=utcnow())
    with runtime.factory() as session:
        pdf = session.scalars(select(Notice)).one().pdf
        name = contact_name(session, "mei")
    (tmp_path / "n.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "n.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode()
    assert name == "Mei" and "Your contact: Mei" in " ".join(text.split())


def test_assigning_someone_outside_the_department_or_a_closed_case_is_refused(
    runtime: Runtime,
) -> None:
    with runtime.factory() as session, session.begin(), pytest.raises(AssignmentError):
        assign_handler(session, case=session.scalars(select(Case)).one(), handler="lou",
                       by="boss")
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().status = "closed"
    with runtime.factory() as session, session.begin(), pytest.raises(AssignmentError):
        assign_handler(session, case=session.scalars(select(Case)).one(), handler="mei",
                       by="boss")
    with runtime.factory() as session:
        events = session.scalars(select(CaseEvent).where(
            CaseEvent.action == "handler_assigned")).all()
        assert [(e.detail["from"], e.detail["to"]) for e in events] == [(None, "mei")]
