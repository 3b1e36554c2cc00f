"""The scheduler: it only nudges; the timed work itself runs as an actor.

Every ``scheduler_seconds`` the process holding the ``scheduler`` lease sends one
``timed_work`` message. The actor asks the database what is due (escalations of
overdue cases, satisfaction surveys) and does each item in its own transaction that
marks it done, so a restart, a second scheduler or a redelivered message never sends
anything twice, and nothing is lost while no scheduler runs: the next pass finds it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from config.departments import load_departments
from config.secrets import secret_key
from pipeline.db.base import utcnow
from pipeline.followup.surveys import due_follow_ups, send_follow_up
from pipeline.leases import release, try_acquire
from pipeline.resolution.timed import due_escalations, due_reminders, escalate, remind
from workers.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = "scheduler"


@dataclass
class TimedReport:
    """What one pass did, for logs and tests."""

    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    surveyed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def run_timed_work(runtime: Runtime, *, now: datetime | None = None) -> TimedReport:
    """Do all timed work due at ``now``; one failing case does not stop the others."""
    now = now or utcnow()
    settings = runtime.settings
    report = TimedReport()
    outbound: list[int] = []
    with runtime.factory() as session:
        reminders = due_reminders(session, now=now)
        overdue = due_escalations(session, now=now)
        surveys = due_follow_ups(session, now=now)
    departments = load_departments(settings)
    for case_id in reminders:
        try:
            with runtime.factory() as session, session.begin():
                mail = remind(session, case_id=case_id, settings=settings,
                              departments=departments, now=now)
            report.reminded.append(case_id)
            outbound += [mail] if mail else []
        except Exception:
            log.exception("reminder failed", extra={"case_id": case_id})
            report.failed.append(case_id)
    for case_id in overdue:
        try:
            with runtime.factory() as session, session.begin():
                mail = escalate(session, case_id=case_id, settings=settings, now=now)
            report.escalated.append(case_id)
            outbound += [mail] if mail else []
        except Exception:
            log.exception("escalation failed", extra={"case_id": case_id})
            report.failed.append(case_id)
    secret, survey_url = secret_key(settings), settings.public_url.rstrip("/") + "/survey"
    for case_id in surveys:
        try:
            with runtime.factory() as session, session.begin():
                mail = send_follow_up(session, case_id=case_id, settings=settings, secret=secret,
                                      survey_url=survey_url, now=now)
            report.surveyed.append(case_id)
            outbound += [mail] if mail else []
        except Exception:
            log.exception("follow-up failed", extra={"case_id": case_id})
            report.failed.append(case_id)
    for outbound_id in outbound:
        runtime.enqueue_outbound(outbound_id)
    if report.reminded or report.escalated or report.surveyed or report.failed:
        log.info("timed work done", extra={"reminded": len(report.reminded),
                                           "escalated": len(report.escalated),
                                           "surveyed": len(report.surveyed),
                                           "failed": len(report.failed)})
    return report


def run_scheduler(runtime: Runtime, stop: threading.Event, *, holder: str) -> None:
    """Send a ``timed_work`` nudge every period while holding the scheduler lease."""
    settings = runtime.settings
    assert runtime.actors is not None
    lease_seconds = max(settings.lease_seconds, settings.scheduler_seconds * 3)
    try:
        while True:
            try:
                if try_acquire(runtime.factory, name=LEASE, holder=holder, seconds=lease_seconds):
                    runtime.enqueue(runtime.actors.timed_work)
            except Exception:
                log.exception("scheduler pass failed")
            if stop.wait(settings.scheduler_seconds):
                break
    finally:
        release(runtime.factory, name=LEASE, holder=holder)
