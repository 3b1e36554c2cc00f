"""Closing through the real intake: agreement by reply, survey, reopening, a linked new case."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.policies import load_policies
from pipeline.cases.lifecycle import move
from pipeline.db.base import utcnow
from pipeline.db.models import Case, FollowUp, Notice, OutboundMail
from pipeline.followup.surveys import due_follow_ups, send_follow_up
from pipeline.resolution.closure import ClosureError, record_agreement
from pipeline.resolution.proposals import Proposal, propose
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

CUSTOMER = "Jane Smith <jane@customer.example>"


def _approved_case(runtime: Runtime) -> str:
    """A complaint through the intake, routed, resolved under the fixed policy."""
    ingest_bytes(runtime, mails.complaint(sender=CUSTOMER), name="complaint.eml")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        move(session, case=case, to="routed", by="intake")
        propose(session, case=case, policies=load_policies(runtime.settings), by="handler",
                now=utcnow(), proposal=Proposal(
                    findings="Faulty seal.", method="replacement", loss_amount="0",
                    compensation_amount="0",
                    answers=[("Asks for a replacement", "A new kettle ships today.")]))
        assert case.status == "approved"
        return case.reference


def _reply(runtime: Runtime, reference: str, body: str, name: str) -> None:
    ingest_bytes(runtime, mails.reply(to_message_id=None, subject=f"Re: [{reference}] kettle",
                                      body=body, sender=CUSTOMER), name=name)


def _cases(runtime: Runtime) -> list[Case]:
    with runtime.factory() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def test_agreement_by_reply_closes_then_the_survey_answer_is_stored(runtime: Runtime) -> None:
    reference = _approved_case(runtime)
    _reply(runtime, reference, "好的，同意这个处理方案。\n\n> quoted notice", "agree.eml")
    (case,) = _cases(runtime)
    assert (case.status, case.agreement_via) == ("closed", "reply")
    assert case.closed_at is not None
    with runtime.factory() as session:
        form = session.scalars(select(Notice).where(Notice.kind == "processing_form")).one()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=form.pdf, capture_output=True,
                              check=True).stdout.decode()
        for expected in ("客户投诉处理单", "Faulty seal.", "好的，同意这个处理方案。", "intake"):
            assert expected in text, expected

    week_later = case.closed_at + timedelta(days=7, minutes=1)
    with runtime.factory() as session, session.begin():
        assert due_follow_ups(session, now=week_later - timedelta(hours=1)) == []
        assert due_follow_ups(session, now=week_later) == [case.id]
        sent = send_follow_up(session, case_id=case.id, settings=runtime.settings,
                              secret="k" * 32, survey_url="https://cs.example/survey",
                              now=week_later)
        again = send_follow_up(session, case_id=case.id, settings=runtime.settings,
                               secret="k" * 32, survey_url="https://cs.example/survey",
                               now=week_later)
    assert sent is not None and again is None
    with runtime.factory() as session:
        survey = session.get(OutboundMail, sent)
        assert survey is not None and b"https://cs.example/survey/" in survey.raw

    _reply(runtime, reference, "5分，非常满意", "score.eml")
    with runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None
        assert (follow_up.score, follow_up.answered_via) == (5, "reply")
    assert _cases(runtime)[0].status == "closed"  # a survey answer does not reopen


def test_a_refusal_disputes_the_case_and_flags_it_for_staff(runtime: Runtime) -> None:
    reference = _approved_case(runtime)
    _reply(runtime, reference, "I do not agree, the kettle was a gift.", "no.eml")
    (case,) = _cases(runtime)
    assert (case.status, case.dispute_rounds) == ("disputed", 1)
    assert case.attention.startswith("The customer does not accept")


def test_reply_within_grace_reopens_and_cancels_the_unsent_survey(runtime: Runtime) -> None:
    reference = _approved_case(runtime)
    _reply(runtime, reference, "I agree.", "agree.eml")
    _reply(runtime, reference, "The new kettle leaks too!", "again.eml")
    (case,) = _cases(runtime)
    assert (case.status, case.reopen_count, case.closed_at) == ("routed", 1, None)
    assert "reopened" in case.attention
    with runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None and follow_up.cancelled_reason.startswith("The case reopened")
        assert due_follow_ups(session, now=utcnow() + timedelta(days=30)) == []


def test_reply_long_after_closing_opens_a_linked_case(runtime: Runtime) -> None:
    reference = _approved_case(runtime)
    _reply(runtime, reference, "I agree.", "agree.eml")
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().closed_at = utcnow() - timedelta(days=60)
    _reply(runtime, reference, "Another kettle from you broke.\n\n> old quote", "later.eml")
    old, new = _cases(runtime)
    assert old.status == "closed" and new.status == "new"
    assert new.follows_case_id == old.id
    assert new.what_happened.startswith("Another kettle from you broke.")
    assert "old quote" not in new.what_happened
    with runtime.factory() as session:
        kinds = sorted(m.kind for m in session.scalars(
            select(OutboundMail).where(OutboundMail.case_id == new.id)))
    assert kinds == ["acknowledgment"]


def test_phone_agreement_is_recorded_by_staff_only_after_approval(runtime: Runtime) -> None:
    ingest_bytes(runtime, mails.complaint(sender=CUSTOMER), name="complaint.eml")
    with runtime.factory() as session, session.begin(), pytest.raises(ClosureError):
        record_agreement(session, case=session.scalars(select(Case)).one(), via="phone",
                         by="alice", note="", now=utcnow(),
                         policies=load_policies(runtime.settings))
