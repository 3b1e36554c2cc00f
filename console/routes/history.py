"""The customer's history on the case page, and merging a duplicate into another case.

The history lists only cases the user may see (a handler: their department's), so a
customer's case elsewhere is neither shown nor hinted at.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from console.i18n import translator
from console.roles import can_see, case_scope, may
from console.web import Ctx, not_found, page
from pipeline.cases.history import related_cases
from pipeline.cases.lifecycle import OPEN_STATUSES
from pipeline.cases.merge import MergeError, merge_cases
from pipeline.db.base import utcnow
from pipeline.db.models import Case


def history_context(ctx: Ctx, case: Case) -> dict[str, Any]:
    """What the case page's history section and merge form need."""
    merged_into = None
    if case.merged_into_case_id is not None:
        target = ctx.db.get(Case, case.merged_into_case_id)
        merged_into = target if target is not None and can_see(ctx.user, target) else None
    return {
        "related": related_cases(ctx.db, case, scope=case_scope(ctx.user)),
        "merged_into": merged_into,
        "can_merge": may(ctx.user, "merge") and case.status in OPEN_STATUSES,
    }


@page("merge")
def merge(ctx: Ctx) -> Response:
    """Merge this case (the duplicate) into the case named in the form."""
    duplicate = ctx.db.scalar(select(Case).where(
        Case.reference == ctx.request.path_params["reference"].upper()))
    if duplicate is None or not can_see(ctx.user, duplicate):
        return not_found(ctx)
    from console.routes.cases import _case_page

    target = ctx.db.scalar(select(Case).where(Case.reference == ctx.field("into").upper()))
    if target is None or not can_see(ctx.user, target):
        return _case_page(ctx, duplicate, error=translator(ctx.lang)("merge_target_missing"),
                          status_code=422)
    try:
        with ctx.db.begin_nested():
            merge_cases(ctx.db, duplicate=duplicate, target=target, by=ctx.user.username,
                        now=utcnow())
    except MergeError as err:
        return _case_page(ctx, duplicate, error=str(err), status_code=422)
    return RedirectResponse(f"/cases/{target.reference}?done=merged_ok", status_code=303)
