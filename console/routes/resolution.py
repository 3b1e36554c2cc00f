"""After routing: the department's proposal, the supervisor's decision, the customer's
agreement, a moved deadline, and the customer's one-click satisfaction answer.

Thin handlers: each reads its form and calls one service in ``pipeline.resolution``;
the mail those services queue is sent after the commit by the dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from config.departments import department_by_key
from config.policies import load_policies
from config.secrets import secret_key
from config.settings import Settings
from console.i18n import translator
from console.roles import can_see, may
from console.web import Ctx, console_of, not_found, page, render
from pipeline.cases.responsible import contact_name
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseDeadline, FollowUp, Notice, Resolution
from pipeline.followup.links import SurveyLinkError, check_round, read_survey_answer
from pipeline.followup.surveys import awaiting_answer, record_answer
from pipeline.resolution.closure import ClosureError, record_agreement
from pipeline.resolution.deadlines import DeadlineError, Handler, move_deadline
from pipeline.resolution.disputes import dispute_words
from pipeline.resolution.notices import archive_processing_form
from pipeline.resolution.points import raised_points
from pipeline.resolution.proposals import Proposal, ProposalError, current_proposal, send_back
from pipeline.resolution.workflow import approve_proposal, submit_proposal

MAX_POINTS_IN_FORM = 20


def time_left(db: Session, cases: Sequence[Case], settings: Settings) -> dict[int, str]:
    """For each case with a deadline: "YYYY-MM-DD (N)" with N working days left (negative
    once overdue), in local time, so a handler sees what is urgent at a glance."""
    ids = [case.id for case in cases]
    if not ids:
        return {}
    calendar = load_policies(settings).calendar
    zone = ZoneInfo(settings.time_zone)
    today = utcnow().astimezone(zone).date()
    shown = {}
    for deadline in db.scalars(select(CaseDeadline).where(CaseDeadline.case_id.in_(ids))):
        due = deadline.due_at.astimezone(zone).date()
        shown[deadline.case_id] = f"{due.isoformat()} ({calendar.working_days_between(today, due)})"
    return shown


def resolution_context(ctx: Ctx, case: Case) -> dict[str, Any]:
    """What the case page's resolution section needs."""
    proposal = current_proposal(ctx.db, case)
    works_on = may(ctx.user, "propose") and can_see(ctx.user, case)
    points = ([(a["point"], a["answer"]) for a in proposal.answers] if proposal
              else [(p, "") for p in raised_points(case.what_happened, case.demands,
                                                   case.language)])
    return {
        "deadline": ctx.db.get(CaseDeadline, case.id),
        "proposal": proposal,
        "history": ctx.db.scalars(select(Resolution).where(Resolution.case_id == case.id)
                                  .order_by(Resolution.version)).all(),
        "notices": ctx.db.scalars(select(Notice).where(Notice.case_id == case.id)
                                  .order_by(Notice.id)).all(),
        "follow_up": ctx.db.get(FollowUp, case.id),
        "points": points,
        "can_propose": works_on and case.status in ("routed", "disputed"),
        "dispute_words": dispute_words(ctx.db, case) if case.dispute_rounds else "",
        "can_decide": may(ctx.user, "approve") and case.status == "proposed",
        "can_record_agreement": may(ctx.user, "agreement") and case.status == "approved",
        "can_move_deadline": works_on and case.status in ("routed", "proposed", "disputed"),
        "can_record_survey": may(ctx.user, "agreement") and case.status == "closed"
        and awaiting_answer(ctx.db, case),
    }


def _case_for(ctx: Ctx, *statuses: str) -> Case | None:
    case = ctx.db.scalar(select(Case).where(
        Case.reference == ctx.request.path_params["reference"].upper()))
    if case is None or not can_see(ctx.user, case) or case.status not in statuses:
        return None
    return case


def _department_name(ctx: Ctx, case: Case) -> str:
    department = department_by_key(ctx.console.departments, case.department)
    return department.name(case.language) if department else ""


def _done(ctx: Ctx, case: Case, done: str) -> Response:
    case_id = case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    return RedirectResponse(f"/cases/{case.reference}?done={done}", status_code=303)


def _failed(ctx: Ctx, case: Case, error: str) -> Response:
    from console.routes.cases import _case_page

    return _case_page(ctx, case, error=error, status_code=422)


def _answers(ctx: Ctx) -> list[tuple[str, str]]:
    form = ctx.form
    assert form is not None
    points = [str(p) for p in form.getlist("point")][:MAX_POINTS_IN_FORM]
    answers = [str(a) for a in form.getlist("answer")][:MAX_POINTS_IN_FORM]
    return list(zip(points, answers + [""] * (len(points) - len(answers)), strict=False))


@page("propose")
def propose(ctx: Ctx) -> Response:
    case = _case_for(ctx, "routed", "disputed")  # disputed: the department proposes again
    if case is None:
        return not_found(ctx)
    proposal = Proposal(
        findings=ctx.field("findings"), method=ctx.field("method"),
        loss_amount=ctx.field("loss_amount"), compensation_amount=ctx.field("compensation_amount"),
        answers=_answers(ctx), next_steps=ctx.field("next_steps"),
        contact_person=ctx.field("contact_person") or ctx.user.display_name)
    settings = ctx.console.settings
    try:
        with ctx.db.begin_nested():
            submit_proposal(ctx.db, case=case, proposal=proposal, settings=settings,
                            policies=load_policies(settings), by=ctx.user.username,
                            department_name=_department_name(ctx, case), now=utcnow())
    except ProposalError as err:
        return _failed(ctx, case, str(err))
    return _done(ctx, case, "proposed_ok")


@page("approve")
def decide(ctx: Ctx) -> Response:
    case = _case_for(ctx, "proposed")
    if case is None:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            if ctx.field("decision") == "approve":
                approve_proposal(ctx.db, case=case, instructions=ctx.field("note"),
                                 settings=ctx.console.settings, by=ctx.user.username,
                                 department_name=_department_name(ctx, case), now=utcnow())
            else:
                send_back(ctx.db, case=case, by=ctx.user.username, comments=ctx.field("note"),
                          now=utcnow())
    except ProposalError as err:
        return _failed(ctx, case, str(err))
    return _done(ctx, case, "decided_ok")


@page("agreement")
def agreement(ctx: Ctx) -> Response:
    case = _case_for(ctx, "approved")
    if case is None:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            record_agreement(ctx.db, case=case, via=ctx.field("via") or "phone",
                             by=ctx.user.username, note=ctx.field("note"), now=utcnow(),
                             policies=load_policies(ctx.console.settings))
            archive_processing_form(ctx.db, case=case, settings=ctx.console.settings,
                                    departments=ctx.console.departments,
                                    customer_opinion=ctx.field("note"), now=utcnow())
    except ClosureError as err:
        return _failed(ctx, case, str(err))
    return _done(ctx, case, "agreement_ok")


@page("agreement")
def satisfaction(ctx: Ctx) -> Response:
    """The survey answer a customer gave on the phone (or wrote in reply to a posted survey)."""
    case = _case_for(ctx, "closed")
    if case is None or not awaiting_answer(ctx.db, case):
        return not_found(ctx)
    score = ctx.field("score")
    if score not in ("1", "2", "3", "4", "5"):
        return _failed(ctx, case, translator(ctx.lang)("survey_score_needed"))
    record_answer(ctx.db, case=case, score=int(score), comment=ctx.field("comment"),
                  via="phone", now=utcnow())
    return RedirectResponse(f"/cases/{case.reference}?done=satisfaction_ok", status_code=303)


@page("propose")
def deadline(ctx: Ctx) -> Response:
    case = ctx.db.scalar(select(Case).where(
        Case.reference == ctx.request.path_params["reference"].upper()))
    if case is None or not can_see(ctx.user, case) or case.status not in (
            "routed", "proposed", "disputed"):
        return not_found(ctx)
    days = ctx.field("working_days")
    settings = ctx.console.settings
    try:
        with ctx.db.begin_nested():
            move_deadline(ctx.db, case=case, settings=settings, policies=load_policies(settings),
                          handler=Handler(_department_name(ctx, case),
                                          contact_name=contact_name(ctx.db, case.handler),
                                          third_party=case.third_party),
                          new_working_days=int(days) if days.isdigit() else 0,
                          reason=ctx.field("reason"), by=ctx.user.username, now=utcnow())
    except DeadlineError as err:
        return _failed(ctx, case, str(err))
    return _done(ctx, case, "deadline_moved_ok")


def _survey_page(request: Request, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    language = "en" if request.query_params.get("lang") == "en" else "zh"
    return render(console_of(request), "survey.html", lang=language, status_code=status_code,
                  user=None, csrf_token="", **values)


async def survey(request: Request) -> Response:
    """The page a survey link opens: it asks to confirm, because mail scanners follow links.

    Security scanners in customers' mail systems open every link in a mail; recording
    the score on that first visit would record whichever link they opened first. The
    signed token is the authority for the confirming POST, so no login is needed.
    """
    console = console_of(request)
    token = request.path_params["token"]
    try:
        answer = read_survey_answer(token, secret=secret_key(console.settings))
        with console.factory() as db:
            reopened = db.scalar(select(Case.reopen_count).where(
                Case.reference == answer.reference))
        check_round(answer, reopened or 0)
    except SurveyLinkError as err:
        return _survey_page(request, status_code=400, error=str(err))
    if request.method == "GET":
        return _survey_page(request, answer=answer, token=token)
    with console.factory() as db, db.begin():
        case = db.scalar(select(Case).where(Case.reference == answer.reference))
        recorded = case is not None and case.reopen_count == answer.round and record_answer(
            db, case=case, score=answer.score, comment="", via="link", now=utcnow())
    return _survey_page(request, answer=answer, recorded=recorded, done=True)
