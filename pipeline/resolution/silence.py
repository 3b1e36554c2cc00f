"""Silence has an end: a customer who never answers the written notice.

When a notice is issued, a wait starts (``agreement_waits``, one row per notice).
``agreement.remind_after_days`` later the customer gets one reminder naming the day
the case will close; ``agreement.close_after_days`` after the notice (and never
sooner than the same interval after the reminder, so the named day is always ahead)
the case closes as *closed without reply*, and the survey follows as for any closing.

As with the other timed work, each step is a cheap due-list query plus an action for
one case that locks the wait row, re-checks it and marks it in the same transaction
that queues the mail or closes the case: two schedulers, a restart or a moved clock
never remind or close twice. A wait only counts while the case is ``approved`` and
the notice is the case's newest and the customer has not written since: an answer,
a dispute or a revised notice ends the older wait.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from config.policies import Policies
from config.settings import Settings
from letters.disputes import AgreementReminder, render_agreement_reminder
from pipeline.cases.events import record_event
from pipeline.db.models import AgreementWait, Case, Correspondence, Notice
from pipeline.links.status import status_url
from pipeline.outbound.case_mail import can_email, queue_case_mail
from pipeline.outbound.post import queue_post
from pipeline.resolution.closure import close


def start_waiting(session: Session, *, notice: Notice, policies: Policies, now: datetime) -> None:
    """Start the wait for the customer's answer to a notice just issued."""
    if session.get(AgreementWait, notice.id) is not None:
        return
    session.add(AgreementWait(
        notice_id=notice.id, case_id=notice.case_id,
        remind_at=now + timedelta(days=policies.agreement_remind_after_days),
        close_at=now + timedelta(days=policies.agreement_close_after_days)))


def _customer_wrote() -> ColumnElement[bool]:
    """The customer (a verified sender) wrote after the notice: they are not silent.

    An answer that neither agrees nor disputes leaves the case ``approved`` and flagged
    for staff; it must not be closed as "without reply" meanwhile.
    """
    return exists().where(
        Correspondence.case_id == AgreementWait.case_id, Correspondence.direction == "in",
        Correspondence.kind == "reply", Correspondence.verified.is_(True),
        Notice.id == AgreementWait.notice_id, Correspondence.at > Notice.created_at)


def _current() -> ColumnElement[bool]:
    """The wait is for the newest notice of a case still waiting, in silence, for agreement."""
    newer = aliased(AgreementWait)
    return (Case.status == "approved") & ~_customer_wrote() & ~exists().where(
        newer.case_id == AgreementWait.case_id, newer.notice_id > AgreementWait.notice_id)


def due_silence_reminders(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Cases whose customer has not answered the notice and is due their one reminder."""
    return list(session.scalars(
        select(AgreementWait.case_id).join(Case, Case.id == AgreementWait.case_id)
        .where(AgreementWait.remind_at <= now, AgreementWait.reminded_at.is_(None), _current())
        .order_by(AgreementWait.remind_at).limit(limit)))


def due_silence_closings(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Reminded cases whose named closing day has come."""
    return list(session.scalars(
        select(AgreementWait.case_id).join(Case, Case.id == AgreementWait.case_id)
        .where(AgreementWait.close_at <= now, AgreementWait.reminded_at.is_not(None),
               AgreementWait.closed_at.is_(None), _current())
        .order_by(AgreementWait.close_at).limit(limit)))


def _locked_wait(session: Session, case: Case) -> AgreementWait | None:
    """The case's newest wait, locked, if the case still waits for agreement in silence."""
    if case.status != "approved":
        return None
    wait = session.scalar(
        select(AgreementWait).where(AgreementWait.case_id == case.id)
        .order_by(AgreementWait.notice_id.desc()).limit(1).with_for_update())
    if wait is None or session.scalar(select(_customer_wrote()).where(
            AgreementWait.notice_id == wait.notice_id)):
        return None
    return wait


def remind_silent(session: Session, *, case_id: int, settings: Settings, policies: Policies,
                  now: datetime) -> int | None:
    """Send the one reminder; returns the mail id if one was queued (None by post)."""
    case = session.get(Case, case_id, with_for_update=True)
    wait = None if case is None else _locked_wait(session, case)
    if case is None or wait is None or wait.reminded_at is not None or wait.remind_at > now:
        return None
    notice = session.get(Notice, wait.notice_id)
    assert notice is not None
    interval = timedelta(days=policies.agreement_close_after_days
                         - policies.agreement_remind_after_days)
    wait.reminded_at = now
    wait.close_at = max(wait.close_at, now + interval)  # a late reminder still names a future day
    record_event(session, case=case, action="agreement_reminded", by="system",
                 closes_on=wait.close_at.isoformat(), notice=notice.id)
    letter = AgreementReminder(
        reference=case.reference, language=case.language, customer_name=case.customer_name,
        notice_date=notice.created_at, closes_on=wait.close_at, time_zone=settings.time_zone,
        company_name=settings.company_name, service_phone=settings.service_phone,
        status_url=status_url(settings, case.id))
    if can_email(case):
        return queue_case_mail(session, settings=settings, case=case, kind="agreement_reminder",
                               rendered=render_agreement_reminder(letter),
                               dedupe_key=str(notice.id)).id
    queue_post(session, case=case, settings=settings, kind=f"agreement_reminder-{notice.id}",
               rendered=render_agreement_reminder(replace(letter, post=True)))
    return None


def close_silent(session: Session, *, case_id: int, policies: Policies,
                 now: datetime) -> int | None:
    """Close a case whose customer never answered, as *closed without reply*."""
    case = session.get(Case, case_id, with_for_update=True)
    wait = None if case is None else _locked_wait(session, case)
    if (case is None or wait is None or wait.closed_at is not None or wait.reminded_at is None
            or wait.close_at > now):
        return None
    wait.closed_at = now
    record_event(session, case=case, action="closed_without_reply", by="system",
                 notice=wait.notice_id, reminded_at=wait.reminded_at.isoformat())
    close(session, case=case, by="system", now=now, policies=policies, kind="no_reply")
    return None
