"""Sign out and the interface language."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from console.auth import end_session
from console.roles import home
from console.web import SESSION_COOKIE, Ctx, page


@page()
def logout(ctx: Ctx) -> Response:
    token = ctx.request.cookies.get(SESSION_COOKIE, "")
    ctx.after_commit.append(lambda: end_session(ctx.console, token))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@page()
def set_language(ctx: Ctx) -> Response:
    if ctx.field("language") in ("zh", "en"):
        ctx.user.language = ctx.field("language")
    return RedirectResponse(home(ctx.user), status_code=303)


@page()
def start(ctx: Ctx) -> Response:
    return RedirectResponse(home(ctx.user), status_code=303)
