"""Approval issues the written notice: archived, attached to a mail, or queued for post."""

from __future__ import annotations

import email
import email.policy
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from config.policies import load_policies
from pipeline.cases.lifecycle import move
from pipeline.db.base import utcnow
from pipeline.db.models import Case, Notice, OutboundMail, PrintLetter, Resolution
from pipeline.resolution.notices import issue_resolution_notice
from pipeline.resolution.proposals import Proposal
from pipeline.resolution.workflow import approve_proposal, submit_proposal
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

POINT, ANSWER = "The kettle leaks <badly> & smells", "We replace it & refund the <postage>."


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """One complaint, routed."""
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    with runtime.factory() as session, session.begin():
        move(session, case=session.scalars(select(Case)).one(), to="routed", by="intake")
    return runtime


def _submit(runtime: Runtime, compensation: str) -> None:
    with runtime.factory() as session, session.begin():
        submit_proposal(
            session, case=session.scalars(select(Case)).one(), settings=runtime.settings,
            policies=load_policies(runtime.settings), department_name="Quality",
            by="handler", now=utcnow(),
            proposal=Proposal(findings="Seal fitted wrongly.", method="compensation",
                              loss_amount="100", compensation_amount=compensation,
                              answers=[(POINT, ANSWER)], contact_person="Li Na"),
        )


def _approve(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        approve_proposal(session, case=session.scalars(select(Case)).one(),
                         settings=runtime.settings, department_name="Quality",
                         instructions="OK", by="boss", now=utcnow())


def test_approval_emails_the_archived_pdf(runtime: Runtime, tmp_path: Path) -> None:
    _submit(runtime, "800")
    with runtime.factory() as session:
        assert session.scalars(select(Notice)).all() == []  # waiting for the supervisor
    _approve(runtime)
    with runtime.factory() as session:
        notice = session.scalars(select(Notice)).one()
        outbound = session.get(OutboundMail, notice.outbound_mail_id)
        assert outbound is not None and outbound.kind == "resolution_notice"
        raw = outbound.raw
        pdf = notice.pdf
    assert notice.delivery == "email" and notice.sha256 == hashlib.sha256(pdf).hexdigest()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    (attachment,) = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == notice.filename
    assert attachment.get_content() == pdf  # the customer got exactly the archived letter
    if shutil.which("pdftotext"):
        (tmp_path / "n.pdf").write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(tmp_path / "n.pdf"), "-"], capture_output=True,
                              check=True).stdout.decode()
        assert POINT in " ".join(text.split()) and ANSWER in " ".join(text.split())


def test_issuing_twice_returns_the_same_notice(runtime: Runtime) -> None:
    _submit(runtime, "800")
    _approve(runtime)
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        resolution = session.scalars(select(Resolution)).one()
        again = issue_resolution_notice(session, case=case, resolution=resolution,
                                        settings=runtime.settings, department_name="Quality",
                                        now=utcnow())
        assert again.id == session.scalars(select(Notice)).one().id
        kinds = [m.kind for m in session.scalars(select(OutboundMail))]
    assert kinds.count("resolution_notice") == 1


def test_fixed_policy_sends_at_once_and_no_email_means_post(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        case.customer_email, case.customer_address = "", "10 Downing Street\nLondon"
    with runtime.factory() as session, session.begin():
        submit_proposal(
            session, case=session.scalars(select(Case)).one(), settings=runtime.settings,
            policies=load_policies(runtime.settings), department_name="Quality",
            by="handler", now=utcnow(),
            proposal=Proposal(findings="Seal.", method="replacement", loss_amount="0",
                              compensation_amount="0", answers=[(POINT, ANSWER)]),
        )
    with runtime.factory() as session:
        notice = session.scalars(select(Notice)).one()
        printed = session.scalars(select(PrintLetter)).one()
    assert (notice.delivery, notice.outbound_mail_id) == ("post", None)
    assert (printed.kind, printed.status) == ("resolution_notice-1", "waiting")
    assert printed.pdf == notice.pdf  # the print queue holds exactly the archived notice
