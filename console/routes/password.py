"""Passwords from the user's side: changing one's own, and a mailed one-time reset link.

The reset page has no session (the user cannot sign in), so like the login form it
protects its POST with a double-submit cookie instead of the session's CSRF token.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import csrf
from console.auth import _language, _secure
from console.i18n import translator
from console.roles import home
from console.web import Ctx, console_of, error_page, page, render
from pipeline.db.base import utcnow
from pipeline.staff.accounts import change_own_password, reset_link_user, use_reset_link
from pipeline.staff.users import UserError

RESET_COOKIE = "console_reset_csrf"


@page()
def password_page(ctx: Ctx) -> Response:
    return ctx.render("password.html", title_key="change_password", error="", done=False,
                      forced=ctx.user.must_change_password)


@page()
def change_password(ctx: Ctx) -> Response:
    new, again = ctx.field("new_password")[:1000], ctx.field("repeat_password")[:1000]
    error = ""
    if new != again:
        error = translator(ctx.lang)("passwords_differ")
    else:
        try:
            with ctx.db.begin_nested():
                change_own_password(ctx.db, ctx.user, current=ctx.field("current_password"),
                                    new=new)
        except UserError as err:
            error = str(err)
    if error:
        return ctx.render("password.html", status_code=422, title_key="change_password",
                          error=error, done=False, forced=ctx.user.must_change_password)
    return RedirectResponse(home(ctx.user) + "?password=changed", status_code=303)


def _reset_form(request: Request, token: str, *, error: str = "",
                status_code: int = 200) -> Response:
    console = console_of(request)
    form_token = csrf.new_token()
    response = render(console, "reset.html", lang=_language(request), status_code=status_code,
                      user=None, csrf_token=form_token, token=token, error=error)
    response.set_cookie(RESET_COOKIE, form_token, httponly=True, samesite="strict",
                        secure=_secure(console), path="/reset")
    return response


async def reset_page(request: Request) -> Response:
    console, token = console_of(request), request.path_params["token"]

    def valid() -> bool:
        with console.factory() as db:
            return reset_link_user(db, token, now=utcnow()) is not None

    if not await run_in_threadpool(valid):
        return error_page(console, _language(request), "reset_link_bad", 410)
    return _reset_form(request, token)


async def reset_submit(request: Request) -> Response:
    console, token = console_of(request), request.path_params["token"]
    form = await request.form(max_fields=10, max_files=0)
    if not csrf.valid(request.cookies.get(RESET_COOKIE), form.get(csrf.FIELD)):
        return error_page(console, _language(request), "bad_csrf", 403)
    new, again = str(form.get("new_password", ""))[:1000], str(form.get("repeat_password", ""))
    if new != again[:1000]:
        return _reset_form(request, token, status_code=422,
                           error=translator(_language(request))("passwords_differ"))

    def use() -> str:
        try:
            with console.factory() as db, db.begin():
                use_reset_link(db, token, new, now=utcnow())
        except UserError as err:
            return str(err)
        return ""

    error = await run_in_threadpool(use)
    if error:
        return _reset_form(request, token, error=error, status_code=422)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(RESET_COOKIE, path="/reset")
    return response
