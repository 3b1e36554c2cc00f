"""The scheduler: it only nudges; the timed work itself runs as an actor.

Every ``scheduler_seconds`` the process holding the ``scheduler`` lease sends one
``timed_work`` message. The actor asks the database what is due (deadline reminders,
escalations of overdue cases, the reminder and the closing of a customer who never
answers the written notice, satisfaction surveys) and does each item in its own transaction that
marks it done, so a restart, a second scheduler or a redelivered message never sends
anything twice, and nothing is lost while no scheduler runs: the next pass finds it.
Each pass also recounts the reports' daily figures for the days whose cases changed,
and erases the personal data of cases past the retention period.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from config.departments import load_departments
from config.policies import load_policies
from config.secrets import secret_key
from pipeline.db.base import utcnow
from pipeline.followup.surveys import due_follow_ups, send_follow_up
from pipeline.leases import release, try_acquire
from pipeline.privacy.retention import erase_expired
from pipeline.reports.days import refresh_daily_figures
from pipeline.resolution.silence import (
    close_silent,
    due_silence_closings,
    due_silence_reminders,
    remind_silent,
)
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
    # Customers who never answered the notice: reminded once, then closed without reply.
    silence_reminded: list[int] = field(default_factory=list)
    closed_without_reply: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    recounted_days: int = 0
    erased: list[str] = field(default_factory=list)  # case references, by retention


Due = Callable[[Session, datetime], list[int]]
Act = Callable[[Session, int, datetime], "int | None"]


def _kinds(runtime: Runtime) -> dict[str, tuple[Due, Act]]:
    """Each kind of timed work: what is due, and how to do one item (returns a mail id)."""
    settings = runtime.settings
    departments = load_departments(settings)
    policies = load_policies(settings)
    secret, survey_url = secret_key(settings), settings.public_url.rstrip("/") + "/survey"
    return {
        "reminded": (lambda s, now: due_reminders(s, now=now),
                     lambda s, case_id, now: remind(s, case_id=case_id, settings=settings,
                                                    departments=departments, now=now)),
        "escalated": (lambda s, now: due_escalations(s, now=now),
                      lambda s, case_id, now: escalate(s, case_id=case_id, settings=settings,
                                                       now=now)),
        "silence_reminded": (lambda s, now: due_silence_reminders(s, now=now),
                             lambda s, case_id, now: remind_silent(
                                 s, case_id=case_id, settings=settings, policies=policies,
                                 now=now)),
        # Before the surveys: a case closed now has its survey planned a week ahead.
        "closed_without_reply": (lambda s, now: due_silence_closings(s, now=now),
                                 lambda s, case_id, now: close_silent(
                                     s, case_id=case_id, policies=policies, now=now)),
        "surveyed": (lambda s, now: due_follow_ups(s, now=now),
                     lambda s, case_id, now: send_follow_up(
                         s, case_id=case_id, settings=settings, secret=secret,
                         survey_url=survey_url, now=now)),
    }


def _drain(runtime: Runtime, due: Due, act: Act, now: datetime,
           failed: list[int]) -> tuple[list[int], list[int]]:
    """Do every due item, a batch at a time, until none is left but those that failed.

    An item is tried at most once per pass: one that stays due after its action (it
    failed, or the action declined it) waits for the next pass instead of looping here.
    """
    done: list[int] = []
    mails: list[int] = []
    tried: set[int] = set(failed)
    while True:
        with runtime.factory() as session:
            batch = [case_id for case_id in due(session, now) if case_id not in tried]
        tried.update(batch)
        if not batch:
            return done, mails
        for case_id in batch:
            try:
                with runtime.factory() as session, session.begin():
                    mail = act(session, case_id, now)
            except Exception:
                log.exception("timed work failed", extra={"case_id": case_id})
                failed.append(case_id)
                continue
            done.append(case_id)
            mails += [mail] if mail else []


def run_timed_work(runtime: Runtime, *, now: datetime | None = None) -> TimedReport:
    """Do all timed work due at ``now``; one failing case does not stop the others."""
    now = now or utcnow()
    report = TimedReport()
    for name, (due, act) in _kinds(runtime).items():
        done, mails = _drain(runtime, due, act, now, report.failed)
        getattr(report, name).extend(done)
        for outbound_id in mails:
            runtime.enqueue_outbound(outbound_id)
    report.erased = _apply_retention(runtime, now)
    report.recounted_days = _recount_daily_figures(runtime)
    if (report.reminded or report.escalated or report.surveyed or report.failed or report.erased
            or report.silence_reminded or report.closed_without_reply):
        log.info("timed work done", extra={"reminded": len(report.reminded),
                                           "silence_reminded": len(report.silence_reminded),
                                           "closed_without_reply":
                                           len(report.closed_without_reply),
                                           "erased": len(report.erased),
                                           "escalated": len(report.escalated),
                                           "surveyed": len(report.surveyed),
                                           "failed": len(report.failed)})
    return report


def _apply_retention(runtime: Runtime, now: datetime) -> list[str]:
    """Erase the personal data of cases closed longer ago than the retention period.

    A failure is logged and left to the next pass: what is not erased stays due.
    """
    try:
        return erase_expired(runtime.factory, settings=runtime.settings, now=now)
    except Exception:
        log.exception("retention erasure failed")
        return []


def _recount_daily_figures(runtime: Runtime) -> int:
    """Keep the reports' daily figures current, so a report finds nothing left to count.

    A failure is logged and left to the next pass: a report recounts what it needs.
    """
    try:
        with runtime.factory() as session, session.begin():
            return refresh_daily_figures(session, runtime.settings.time_zone)
    except Exception:
        log.exception("recounting the daily figures failed")
        return 0


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
