"""Timed work: escalations and surveys happen once, whoever runs the scheduler and how often."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.policies import load_policies
from config.settings import Settings
from pipeline.cases.lifecycle import move
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseDeadline, CaseEvent, DailyFigures, FollowUp, OutboundMail
from pipeline.resolution.closure import close
from pipeline.resolution.deadlines import Handler, set_deadline
from tests.support import mails
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime
from workers.scheduler import run_timed_work
from workers.service import serve


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    settings = settings.model_copy(update={"supervisor_address": "supervisors@shop.example",
                                           "scheduler_seconds": 0.2})
    runtime = build_runtime(settings)
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        move(session, case=case, to="routed", by="intake")
        set_deadline(session, case=case, settings=settings, policies=load_policies(settings),
                     handler=Handler("Quality"), by="intake", now=utcnow() - timedelta(days=30))
    yield runtime
    runtime.engine.dispose()


def _mails(runtime: Runtime, kind: str) -> list[OutboundMail]:
    with runtime.factory() as session:
        return list(session.scalars(select(OutboundMail).where(OutboundMail.kind == kind)))


def test_handler_is_reminded_once_before_the_deadline(runtime: Runtime) -> None:
    now = utcnow()
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().department = "quality"
        deadline = session.scalars(select(CaseDeadline)).one()
        deadline.remind_at, deadline.due_at = now - timedelta(hours=1), now + timedelta(days=1)
    first = run_timed_work(runtime)
    assert len(first.reminded) == 1 and first.escalated == []
    assert run_timed_work(runtime).reminded == []
    (mail,) = _mails(runtime, "reminder")
    assert mail.to_address == "quality@example.com"
    # Once the deadline passes, the escalation still comes.
    later = run_timed_work(runtime, now=now + timedelta(days=2))
    assert len(later.escalated) == 1 and later.reminded == []


def test_overdue_case_is_escalated_once(runtime: Runtime) -> None:
    first = run_timed_work(runtime)
    second = run_timed_work(runtime)
    assert len(first.escalated) == 1 and second.escalated == []
    (mail,) = _mails(runtime, "escalation")
    assert mail.to_address == "supervisors@shop.example"
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        assert case.attention.startswith("The resolution deadline has passed")
        assert session.scalars(select(CaseDeadline)).one().escalated_at is not None


def test_survey_goes_out_a_week_after_closing_and_never_twice(runtime: Runtime) -> None:
    policies = load_policies(runtime.settings)
    closed_at = utcnow() - timedelta(days=8)
    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case)).one()
        move(session, case=case, to="proposed", by="handler")
        move(session, case=case, to="approved", by="boss")
        close(session, case=case, by="customer", now=closed_at, policies=policies)
    report = run_timed_work(runtime)
    assert len(report.surveyed) == 1 and report.escalated == []  # closed cases do not escalate
    assert run_timed_work(runtime).surveyed == []
    (survey,) = _mails(runtime, "survey")
    assert survey.to_address == "jane@customer.example"
    assert runtime.settings.public_url.encode() + b"/survey/" in survey.raw


def test_the_scheduler_process_nudges_the_actor_until_the_work_is_done(runtime: Runtime) -> None:
    stop = threading.Event()
    service = threading.Thread(
        target=serve, kwargs={"runtime": runtime, "poll": False, "work": True, "schedule": True,
                              "stop": stop}, daemon=True)
    service.start()
    try:
        def escalated() -> bool:
            with runtime.factory() as session:
                return session.scalars(select(CaseDeadline)).one().escalated_at is not None
        wait_until(escalated, timeout=30, what="the scheduler's escalation")
    finally:
        stop.set()
        service.join(timeout=30)
    with runtime.factory() as session:
        events = session.scalars(select(CaseEvent).where(CaseEvent.action == "escalated")).all()
        assert len(events) == 1
        assert session.scalars(select(FollowUp)).all() == []


def test_each_pass_recounts_the_daily_figures_of_changed_days(runtime: Runtime) -> None:
    first = run_timed_work(runtime)
    assert first.recounted_days == 3  # the complaint's UTC day touches three local days
    assert run_timed_work(runtime).recounted_days == 0  # nothing changed since
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().product = "KT-200"
    assert run_timed_work(runtime).recounted_days == 3
    with runtime.factory() as session:
        assert session.scalars(select(DailyFigures.product)).all() == ["KT-200"]
