"""Mail to our own staff: a case routed to a department, a coming deadline, an overdue
case, a password reset.

Staff read both languages, so each notice is one bilingual template. Case subjects
are customer text: they go in as context values (and through ``clean_header`` when
the mail is built), never as template source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from letters.formatting import clean_line, format_date, local_time
from letters.render import render_subject, render_template


@dataclass(frozen=True)
class StaffNotice:
    """A rendered staff mail: plain text only."""

    subject: str
    text: str


def _dates(moment: datetime, time_zone: str) -> tuple[str, str]:
    local = local_time(moment, time_zone)
    return format_date(local, "en"), format_date(local, "zh")


def render_department_notice(*, reference: str, subject: str, department_en: str,
                             department_zh: str, by: str, link: str) -> StaffNotice:
    """A case was routed to the department; the processing form goes with it."""
    context = {"reference": reference, "subject": clean_line(subject, limit=300),
               "department_en": department_en, "department_zh": department_zh,
               "by": by, "link": link}
    return StaffNotice(render_subject("department_notice.subject.j2", context),
                       render_template("department_notice.txt.j2", context))


def render_due_reminder(*, reference: str, subject: str, due_at: datetime, time_zone: str,
                        link: str) -> StaffNotice:
    """The department's reminder before the deadline the customer was told."""
    due_en, due_zh = _dates(due_at, time_zone)
    context = {"reference": reference, "subject": clean_line(subject, limit=300),
               "due_en": due_en, "due_zh": due_zh, "link": link}
    return StaffNotice(render_subject("due_reminder.subject.j2", context),
                       render_template("due_reminder.txt.j2", context))


def render_escalation(*, reference: str, subject: str, due_at: datetime, time_zone: str,
                      link: str) -> StaffNotice:
    """The supervisors' notice that a case passed its deadline unresolved."""
    due_en, due_zh = _dates(due_at, time_zone)
    context = {"reference": reference, "subject": clean_line(subject, limit=300),
               "due_en": due_en, "due_zh": due_zh, "link": link}
    return StaffNotice(render_subject("escalation.subject.j2", context),
                       render_template("escalation.txt.j2", context))


def render_password_reset(*, username: str, link: str, hours: int) -> StaffNotice:
    """The one-time link to choose a new console password."""
    context = {"username": username, "link": link, "hours": hours}
    return StaffNotice(render_subject("password_reset.subject.j2", context),
                       render_template("password_reset.txt.j2", context))
