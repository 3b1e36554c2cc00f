"""Deciding responsibility and routing a reviewed case to its department.

One decision, one transaction: the case's department and responsibility, the status
move with who decided and which suggestion they had, the resolution deadline and the
letter telling the customer, and the department's notification with the processing
form (客户投诉处理单) all commit together or not at all. The routing event records
the suggestion next to the choice, so how often suggestions are accepted, and what
the classifier learns from, comes from the audit trail itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from config.departments import Department, department_by_key
from config.policies import Policies
from config.settings import Settings
from letters.not_ours import NotOursLetter, render_not_ours
from letters.pdf.fonts import FontSource
from letters.pdf.processing_form import render_processing_form
from letters.staff_notices import render_department_notice
from pipeline.cases.forms import processing_form
from pipeline.cases.lifecycle import move
from pipeline.cases.responsible import AssignmentError, assign_handler, contact_name
from pipeline.db.models import Case, CaseDeadline
from pipeline.links.status import status_url
from pipeline.outbound.case_mail import can_email, queue_case_mail
from pipeline.outbound.post import queue_post
from pipeline.outbound.staff_mail import case_link, queue_staff_mail
from pipeline.resolution.deadlines import Handler, set_deadline
from pipeline.review.classification import missing_for_routing
from pipeline.review.unroute import times_unrouted

RESPONSIBILITIES = ("ours", "third_party")


class RoutingError(ValueError):
    """A routing decision that cannot be carried out; the message is for staff."""


@dataclass(frozen=True)
class RoutingDecision:
    """What the member of staff decided in review."""

    department: str  # key in the departments file
    responsibility: str = "ours"  # ours / third_party
    third_party: str = ""  # who, when the fault lies with a third party (e.g. the carrier)
    suggested: str | None = None  # the suggestion shown when deciding
    suggestion_source: str = ""  # keywords / classifier
    opinion: str = ""  # the receiving staff's opinion, printed on the processing form
    handler: str = ""  # the department's handler made responsible at once (optional)


@dataclass
class Routed:
    """Mail queued by the decision, to be sent once the transaction commits."""

    outbound_ids: list[int] = field(default_factory=list)


def _check(case: Case, decision: RoutingDecision, departments: Sequence[Department]) -> Department:
    if case.status != "new":
        raise RoutingError("Only a case waiting for review can be routed. "
                           "/ 只有待审核的案件才能分派。")
    if missing_for_routing(case.category, case.severity):
        # The deadline follows the policies by category and severity: without them
        # every case would get the default, and the statistics could not count them.
        raise RoutingError(
            "Choose the category and the severity first: the deadline depends on them. "
            "/ 请先选择投诉类别和严重程度：处理期限取决于它们。")
    department = department_by_key(departments, decision.department)
    if department is None:
        raise RoutingError(f"Unknown department '{decision.department}'. / 没有这个部门。")
    if decision.responsibility not in RESPONSIBILITIES:
        raise RoutingError("Responsibility: ours, or a third party's. / 责任：我方，或第三方。")
    if decision.responsibility == "third_party" and not decision.third_party.strip():
        raise RoutingError("Name the third party (for example the carrier). "
                           "/ 请写明第三方（例如承运快递公司）。")
    return department


def _again(session: Session, case: Case) -> str:
    """A suffix telling a routing after a send-back apart, so the department hears again."""
    count = times_unrouted(session, case)
    return f"-{count}" if count else ""


def _notify_department(
    session: Session, *, case: Case, department: Department, settings: Settings, by: str,
    now: datetime, opinion: str,
) -> int:
    form = render_processing_form(
        processing_form(case, department=department, routed_by=by, routed_at=now,
                        opinion=opinion),
        fonts=FontSource.from_settings(settings),
    )
    notice = render_department_notice(
        reference=case.reference, subject=case.subject, department_en=department.name_en,
        department_zh=department.name_zh, by=by, link=case_link(settings, case))
    outbound = queue_staff_mail(
        session, settings=settings, case=case, kind="department_notice",
        to_address=department.email, subject=notice.subject,
        text=notice.text, dedupe_key=department.key + _again(session, case),
        attachments=[(f"{case.reference}-processing-form.pdf", "application/pdf", form)],
    )
    return outbound.id


def _take(case: Case, by: str) -> None:
    """The reviewer becomes 受理人员 of a case the system took in (mail, scans); a case
    staff recorded by hand keeps the person who recorded it."""
    if case.taken_by == "system":
        case.taken_by = by[:100]


def route_case(
    session: Session, *, case: Case, decision: RoutingDecision, settings: Settings,
    departments: Sequence[Department], policies: Policies, by: str, now: datetime,
) -> Routed:
    """Route a reviewed case; the customer is told the deadline, the department is told."""
    department = _check(case, decision, departments)
    case.department = department.key
    case.responsibility = decision.responsibility
    third_party = decision.responsibility == "third_party"
    case.third_party = decision.third_party.strip() if third_party else ""
    case.attention = ""
    _take(case, by)
    if decision.handler.strip():
        try:
            assign_handler(session, case=case, handler=decision.handler.strip(), by=by)
        except AssignmentError as err:
            raise RoutingError(str(err)) from err
    move(session, case=case, to="routed", by=by, department=department.key,
         suggested=decision.suggested, suggestion_source=decision.suggestion_source,
         responsibility=decision.responsibility, opinion=decision.opinion[:2000])
    if session.get(CaseDeadline, case.id) is None:
        set_deadline(session, case=case, settings=settings, policies=policies, by=by, now=now,
                     handler=Handler(department_name=department.name(case.language),
                                     contact_name=contact_name(session, case.handler),
                                     third_party=case.third_party))
    # else: routed again after a send-back; the deadline the customer was told stands.
    routed = Routed()
    routed.outbound_ids.append(_notify_department(
        session, case=case, department=department, settings=settings, by=by, now=now,
        opinion=decision.opinion))
    return routed


def decide_not_ours(
    session: Session, *, case: Case, explanation: str, settings: Settings, by: str,
    now: datetime,
) -> Routed:
    """Close a case that is not our responsibility, with a written explanation."""
    if case.status != "new":
        raise RoutingError("Only a case waiting for review can be closed as not ours. "
                           "/ 只有待审核的案件才能按非我方责任结案。")
    if len(explanation.strip()) < 20:
        raise RoutingError("Write the explanation the customer will read (a few sentences). "
                           "/ 请写下客户将看到的说明（几句话）。")
    case.responsibility, case.department, case.attention = "not_ours", None, ""
    _take(case, by)
    move(session, case=case, to="not_ours", by=by, explanation=explanation.strip())
    case.closed_at = now
    routed = Routed()
    letter = NotOursLetter(reference=case.reference, language=case.language,
                           customer_name=case.customer_name, explanation=explanation,
                           company_name=settings.company_name,
                           service_phone=settings.service_phone, post=not can_email(case),
                           status_url=status_url(settings, case.id))
    if can_email(case):
        outbound = queue_case_mail(session, settings=settings, case=case, kind="not_ours",
                                   rendered=render_not_ours(letter), dedupe_key="1")
        routed.outbound_ids.append(outbound.id)
    else:
        queue_post(session, case=case, settings=settings, kind="not_ours",
                   rendered=render_not_ours(letter))
    return routed
