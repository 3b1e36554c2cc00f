"""Silence has an end: one reminder naming the closing day, then closed without reply.

Whatever restarts or however many schedulers run, the reminder and the closing each
happen once; the clock is moved by passing ``now`` to the scheduler's pass.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from config.policies import load_policies
from config.settings import Settings
from letters.formatting import format_date, local_time
from pipeline.cases.lifecycle import move
from pipeline.db.base import utcnow
from pipeline.db.models import (
    AgreementWait,
    Case,
    CaseEvent,
    FollowUp,
    Notice,
    OutboundMail,
    PrintLetter,
)
from pipeline.reports.periods import parse_period
from pipeline.reports.statistics import gather
from pipeline.resolution.proposals import Proposal
from pipeline.resolution.workflow import submit_proposal
from tests.support import mails
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime
from workers.scheduler import TimedReport, run_timed_work

CUSTOMER = "Jane Smith <jane@customer.example>"


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


def _notified(runtime: Runtime, sender: str = CUSTOMER, subject: str = "Broken kettle"
              ) -> datetime:
    """A case whose notice went out; returns when."""
    ingest_bytes(runtime, mails.complaint(sender=sender, subject=subject),
                 name=f"{subject}.eml")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case).where(Case.status == "new")).one()
        move(session, case=case, to="routed", by="intake")
        submit_proposal(session, case=case, settings=runtime.settings,
                        policies=load_policies(runtime.settings), department_name="Quality",
                        by="handler", now=utcnow(), proposal=Proposal(
                            findings="Faulty seal.", method="replacement", loss_amount="0",
                            compensation_amount="0",
                            answers=[("Asks for a replacement", "A new kettle ships today.")]))
        assert case.status == "approved"
    with runtime.factory() as session:
        return session.scalars(select(Notice).where(Notice.case_id == case.id)).one().created_at


def _count(runtime: Runtime, *, kind: str = "", action: str = "") -> int:
    with runtime.factory() as session:
        if kind:
            return len(session.scalars(select(OutboundMail).where(OutboundMail.kind == kind))
                       .all())
        return len(session.scalars(select(CaseEvent).where(CaseEvent.action == action)).all())


def _two_schedulers_at(settings: Settings, now: datetime) -> list[TimedReport]:
    """Two scheduler processes' passes at the same moment, each with its own runtime."""
    runtimes = [build_runtime(settings) for _ in range(2)]
    reports: list[TimedReport] = []
    start = threading.Barrier(2)

    def run(one: Runtime) -> None:
        start.wait()
        reports.append(run_timed_work(one, now=now))

    threads = [threading.Thread(target=run, args=(one,)) for one in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for one in runtimes:
        one.engine.dispose()
    return reports


def test_every_silent_customer_is_reminded_and_closed_in_one_pass(runtime: Runtime) -> None:
    """Several waits at once: the due lists compare each wait with its own notice."""
    policies = load_policies(runtime.settings)
    first = _notified(runtime)
    _notified(runtime, sender="Li Lei <lilei@customer.example>", subject="Cracked lid")
    reminded = run_timed_work(runtime, now=first + timedelta(
        days=policies.agreement_remind_after_days, hours=1))
    assert len(reminded.silence_reminded) == 2
    closed = run_timed_work(runtime, now=first + timedelta(
        days=policies.agreement_close_after_days + policies.agreement_remind_after_days, hours=1))
    assert len(closed.closed_without_reply) == 2


def test_one_reminder_then_closed_without_reply_once(runtime: Runtime) -> None:
    policies = load_policies(runtime.settings)
    issued = _notified(runtime)
    remind_at = issued + timedelta(days=policies.agreement_remind_after_days, minutes=1)
    close_at = issued + timedelta(days=policies.agreement_close_after_days, minutes=1)

    assert run_timed_work(runtime, now=remind_at - timedelta(hours=1)).silence_reminded == []
    reports = _two_schedulers_at(runtime.settings, remind_at)
    assert sum(len(r.silence_reminded) for r in reports) >= 1
    for later in (remind_at, remind_at + timedelta(days=1), close_at - timedelta(hours=1)):
        report = run_timed_work(runtime, now=later)  # a restart, another pass
        assert report.silence_reminded == [] and report.closed_without_reply == []
    assert _count(runtime, kind="agreement_reminder") == 1
    assert _count(runtime, action="agreement_reminded") == 1
    with runtime.factory() as session:
        mail = session.scalars(select(OutboundMail)
                               .where(OutboundMail.kind == "agreement_reminder")).one()
        wait = session.scalars(select(AgreementWait)).one()
        assert mail.to_address == "jane@customer.example"
        gap = policies.agreement_close_after_days - policies.agreement_remind_after_days
        assert wait.close_at == remind_at + timedelta(days=gap)  # never sooner after the reminder
        named = format_date(local_time(wait.close_at, runtime.settings.time_zone), "en")
        body = email.message_from_bytes(mail.raw, policy=email.policy.default).get_body(
            preferencelist=("plain",))
        assert body is not None
        assert f"we will close the case on {named}" in body.get_content()  # type: ignore[attr-defined]
    close_at = remind_at + timedelta(days=gap)

    reports = _two_schedulers_at(runtime.settings, close_at)
    assert sum(len(r.closed_without_reply) for r in reports) >= 1
    assert run_timed_work(runtime, now=close_at + timedelta(days=1)).closed_without_reply == []
    assert _count(runtime, action="closed_without_reply") == 1
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        assert (case.status, case.closing_kind) == ("closed", "no_reply")
        statuses = [e.detail.get("status") for e in session.scalars(
            select(CaseEvent).where(CaseEvent.action == "status"))]
        assert statuses.count("closed") == 1
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None and follow_up.sent_at is None  # the survey follows

    week_after = close_at + timedelta(days=policies.follow_up_days, minutes=1)
    assert len(run_timed_work(runtime, now=week_after).surveyed) == 1
    assert run_timed_work(runtime, now=week_after).surveyed == []

    with runtime.factory() as session:
        month = issued.astimezone().strftime("%Y-%m")
        summary = gather(session, parse_period(month, runtime.settings.time_zone)).summary
        assert summary.closed_without_reply == 1


def test_a_late_reminder_names_a_day_still_ahead(runtime: Runtime) -> None:
    policies = load_policies(runtime.settings)
    issued = _notified(runtime)
    gap = policies.agreement_close_after_days - policies.agreement_remind_after_days
    late = issued + timedelta(days=policies.agreement_close_after_days + 5)  # scheduler was down
    report = run_timed_work(runtime, now=late)
    assert len(report.silence_reminded) == 1 and report.closed_without_reply == []
    assert run_timed_work(runtime, now=late + timedelta(days=gap) - timedelta(minutes=1)
                          ).closed_without_reply == []
    assert len(run_timed_work(runtime, now=late + timedelta(days=gap)).closed_without_reply) == 1


def test_an_answer_ends_the_wait(runtime: Runtime) -> None:
    issued = _notified(runtime)
    reference = _reference(runtime)
    ingest_bytes(runtime, mails.reply(to_message_id=None, subject=f"Re: [{reference}] kettle",
                                      body="I do not agree.", sender=CUSTOMER), name="no.eml")
    report = run_timed_work(runtime, now=issued + timedelta(days=60))
    assert report.silence_reminded == [] and report.closed_without_reply == []
    with runtime.factory() as session:
        assert session.scalars(select(Case)).one().status == "disputed"


def _reference(runtime: Runtime) -> str:
    with runtime.factory() as session:
        return session.scalars(select(Case.reference)).one()


def test_without_a_working_address_the_reminder_is_printed_once(runtime: Runtime) -> None:
    policies = load_policies(runtime.settings)
    issued = _notified(runtime)
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        case.email_undeliverable, case.customer_address = True, "1 Garden Road, Hong Kong"
    later = issued + timedelta(days=policies.agreement_remind_after_days, minutes=1)
    assert len(run_timed_work(runtime, now=later).silence_reminded) == 1
    assert run_timed_work(runtime, now=later).silence_reminded == []
    with runtime.factory() as session:
        letters = session.scalars(select(PrintLetter)).all()
        assert [p.kind for p in letters if p.kind.startswith("agreement_reminder")] == [
            f"agreement_reminder-{session.scalars(select(Notice.id)).one()}"]
    assert _count(runtime, kind="agreement_reminder") == 0


def test_an_unclear_answer_is_not_silence(runtime: Runtime) -> None:
    issued = _notified(runtime)
    ingest_bytes(runtime, mails.reply(to_message_id=None, subject=f"Re: [{_reference(runtime)}]",
                                      body="Thanks, I will think about it.", sender=CUSTOMER),
                 name="unclear.eml")
    with runtime.factory() as session:
        assert session.scalars(select(Case)).one().status == "approved"
    report = run_timed_work(runtime, now=issued + timedelta(days=60))
    assert report.silence_reminded == [] and report.closed_without_reply == []
