"""Staff accounts (admins only): create, reset, disable and enable, change role."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from console.audit import staff_trail
from console.web import Ctx, not_found, page
from pipeline.db.base import utcnow
from pipeline.db.models import User
from pipeline.outbound.transport import SendError
from pipeline.staff.accounts import (
    create_reset_link,
    disable,
    enable,
    find_user,
    reset_to_temporary,
    set_email,
    set_role,
)
from pipeline.staff.audit import record_staff_action, staff_actions
from pipeline.staff.reset_mail import send_reset_link
from pipeline.staff.users import ROLES, NewUser, UserError, add_user, list_users


def render_users(ctx: Ctx, *, status_code: int = 200, error: str = "", message: str = "",
          secret: str = "") -> Response:
    return ctx.render("users.html", status_code=status_code, title_key="users",
                      users=list_users(ctx.db), roles=ROLES, error=error,
                      done=ctx.request.query_params.get("done") == "1",
                      changed=ctx.request.query_params.get("changed") == "1",
                      erased=ctx.request.query_params.get("erased", "")[:6],
                      message=message, secret=secret,
                      audit=staff_trail(staff_actions(ctx.db, limit=50), language=ctx.lang,
                                        actors={u.username: u.display_name or u.username
                                                for u in list_users(ctx.db)},
                                        departments=ctx.console.departments))


@page("manage_users")
def users_page(ctx: Ctx) -> Response:
    return render_users(ctx)


@page("manage_users")
def create_user(ctx: Ctx) -> Response:
    new = NewUser(username=ctx.field("username").lower(), password=ctx.field("password"),
                  role=ctx.field("role"), display_name=ctx.field("display_name"),
                  department=ctx.field("department") or None,
                  language=ctx.field("language") or "zh")
    try:
        with ctx.db.begin_nested():
            user = add_user(ctx.db, new, department_keys={d.key for d in ctx.console.departments})
            record_staff_action(ctx.db, actor=ctx.user.username, action="user_added",
                                target=user.username, role=user.role,
                                department=user.department or "")
            if ctx.field("email"):
                set_email(ctx.db, user, ctx.field("email"), by=ctx.user.username)
    except UserError as err:
        return render_users(ctx, status_code=422, error=str(err))
    return RedirectResponse("/users?done=1", status_code=303)


@page("manage_users")
def change_user(ctx: Ctx) -> Response:
    """One admin action on one account, named by the form's ``action`` field."""
    action, by = ctx.field("action"), ctx.user.username
    try:
        with ctx.db.begin_nested():
            user = find_user(ctx.db, ctx.request.path_params["username"])
            if action == "disable":
                disable(ctx.db, user, by=by)
            elif action == "enable":
                enable(ctx.db, user, by=by)
            elif action == "role":
                set_role(ctx.db, user, role=ctx.field("role"),
                         department=ctx.field("department") or None, by=by,
                         department_keys={d.key for d in ctx.console.departments})
            elif action == "email":
                set_email(ctx.db, user, ctx.field("email"), by=by)
            elif action == "reset_temporary":
                temporary = reset_to_temporary(ctx.db, user, by=by)
                return render_users(ctx, message=user.username, secret=temporary)
            elif action == "reset_link":
                token = create_reset_link(ctx.db, user, by=by, now=utcnow())
                _mail_link(ctx, user, token)
                return render_users(ctx, message=user.email)
            else:
                return not_found(ctx)
    except (UserError, SendError) as err:
        return render_users(ctx, status_code=422, error=str(err))
    return RedirectResponse("/users?changed=1", status_code=303)


def _mail_link(ctx: Ctx, user: User, token: str) -> None:
    """Send before the commit: if the mail cannot go, the admin sees why and nothing changes."""
    transport = ctx.console.dispatcher.transport()
    try:
        send_reset_link(transport, settings=ctx.console.settings, user=user, token=token)
    finally:
        transport.close()
