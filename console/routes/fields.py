"""The case page's classification fields and the person responsible (issue 13).

Category, severity, product and quantity are shown in the record form with intake's
suggestion marked until staff confirm or change it; the person responsible is
assigned by a supervisor ("Assign to…") or taken by a handler of the case's
department ("Take it").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from config.policies import SEVERITIES
from config.triage import load_triage
from console.i18n import translator
from console.roles import can_see, may
from console.web import Ctx, not_found, page
from pipeline.cases.responsible import (
    CLOSED,
    AssignmentError,
    assign_handler,
    contact_name,
    department_handlers,
    may_assign,
)
from pipeline.db.models import Case, CaseEvent
from pipeline.triage.intake import SUGGESTED
from pipeline.triage.suggest import FIELDS


def suggested_marks(events: list[CaseEvent], case: Case) -> dict[str, dict[str, Any]]:
    """The fields still holding intake's suggestion (not corrected since), with its reason."""
    suggested: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.action == SUGGESTED:
            suggested = {k: v for k, v in event.detail.items() if k in FIELDS}
        elif event.action == "corrected":
            for name in event.detail.get("changes", {}):
                suggested.pop(name, None)
    return {name: found for name, found in suggested.items()
            if getattr(case, name) == found.get("value")}


def fields_context(ctx: Ctx, case: Case, events: list[CaseEvent]) -> dict[str, Any]:
    """What the case page needs for the four fields and the person responsible."""
    open_case = case.status not in CLOSED and case.department is not None
    is_own_handler = ctx.user.role == "handler" and ctx.user.department == case.department
    return {
        "categories": load_triage(ctx.console.settings).categories,
        "severities": SEVERITIES,
        "suggested_marks": suggested_marks(events, case),
        "handler_name": contact_name(ctx.db, case.handler),
        "can_assign": open_case and may(ctx.user, "assign"),
        "can_take": open_case and is_own_handler and case.handler != ctx.user.username,
        "department_handlers": department_handlers(ctx.db, case.department)
        if open_case and may(ctx.user, "assign") else [],
        # Routing may name the person responsible at once (any department's handler;
        # routing checks they belong to the department chosen).
        "route_handlers": department_handlers(ctx.db, "*")
        if case.status == "new" and may(ctx.user, "review") else [],
    }


@page()
def assign(ctx: Ctx) -> Response:
    """Assign the case to a handler of its department, or take it oneself."""
    from console.routes.cases import _case_page

    case = ctx.db.scalar(select(Case).where(
        Case.reference == ctx.request.path_params["reference"].upper()))
    if case is None or not can_see(ctx.user, case):
        return not_found(ctx)
    handler = ctx.field("handler")
    if not may_assign(ctx.user, case, handler):
        return _case_page(ctx, case, error=translator(ctx.lang)("assign_refused"),
                          status_code=403)
    try:
        with ctx.db.begin_nested():
            changed = assign_handler(ctx.db, case=case, handler=handler, by=ctx.user.username)
    except AssignmentError as err:
        return _case_page(ctx, case, error=str(err), status_code=422)
    done = "assigned_ok" if changed else "nothing_changed"
    return RedirectResponse(f"/cases/{case.reference}?done={done}", status_code=303)

