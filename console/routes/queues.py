"""The queues that show what is due: a department's, the approvals and the overdue view.

Thin: each reads the filter and page, asks ``pipeline.cases.queues`` for one page,
and shows it with the working days left on each deadline.
"""

from __future__ import annotations

from starlette.responses import Response

from console.roles import case_scope
from console.routes.resolution import time_left
from console.web import Ctx, page
from pipeline.cases.queues import (
    VIEWS,
    QueuePage,
    approvals_queue,
    department_queue,
    overdue_queue,
)
from pipeline.db.base import utcnow


def _page_number(ctx: Ctx) -> int:
    raw = ctx.request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


def _show(ctx: Ctx, found: QueuePage, *, title_key: str, empty_key: str, view: str = "",
          views: tuple[str, ...] = ()) -> Response:
    return ctx.render("work_queue.html", title_key=title_key, page=found, empty_key=empty_key,
                      view=view, views=views, query=f"view={view}" if view else "",
                      time_left=time_left(ctx.db, found.cases, ctx.console.settings))


@page("department_queue")
def department(ctx: Ctx) -> Response:
    """Open cases by default, overdue first, then by deadline; filters narrow it."""
    view = ctx.request.query_params.get("view", "open")
    view = view if view in VIEWS else "open"
    found = department_queue(ctx.db, scope=ctx.user.department or case_scope(ctx.user),
                             view=view, username=ctx.user.username, now=utcnow(),
                             page=_page_number(ctx))
    return _show(ctx, found, title_key="department_queue", empty_key="nothing_due", view=view,
                 views=VIEWS)


@page("supervise")
def approvals(ctx: Ctx) -> Response:
    found = approvals_queue(ctx.db, now=utcnow(), page=_page_number(ctx))
    return _show(ctx, found, title_key="approvals", empty_key="nothing_to_approve")


@page("supervise")
def overdue(ctx: Ctx) -> Response:
    found = overdue_queue(ctx.db, now=utcnow(), page=_page_number(ctx))
    return _show(ctx, found, title_key="overdue_view", empty_key="nothing_overdue")

