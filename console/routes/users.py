"""Staff accounts (admins only)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from console.web import Ctx, page
from pipeline.staff.users import ROLES, NewUser, UserError, add_user, list_users


@page("manage_users")
def users_page(ctx: Ctx) -> Response:
    return ctx.render("users.html", title_key="users", users=list_users(ctx.db), roles=ROLES,
                      error="", done=ctx.request.query_params.get("done") == "1")


@page("manage_users")
def create_user(ctx: Ctx) -> Response:
    new = NewUser(username=ctx.field("username").lower(), password=ctx.field("password"),
                  role=ctx.field("role"), display_name=ctx.field("display_name"),
                  department=ctx.field("department") or None,
                  language=ctx.field("language") or "zh")
    try:
        with ctx.db.begin_nested():
            add_user(ctx.db, new, department_keys={d.key for d in ctx.console.departments})
    except UserError as err:
        return ctx.render("users.html", status_code=422, title_key="users",
                          users=list_users(ctx.db), roles=ROLES, error=str(err), done=False)
    return RedirectResponse("/users?done=1", status_code=303)
