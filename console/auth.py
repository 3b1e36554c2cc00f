"""Signing in and out. Passwords are checked with argon2 (``pipeline.staff.users``);
the session lives in the database and its random token in an HttpOnly cookie."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import csrf
from console.roles import home
from console.web import SESSION_COOKIE, Console, console_of, error_page, render
from pipeline.db.base import utcnow
from pipeline.staff.sessions import close_session, open_session
from pipeline.staff.users import authenticate


def _language(request: Request) -> str:
    chosen = request.query_params.get("lang", "")
    if chosen in ("zh", "en"):
        return chosen
    return "zh" if "zh" in request.headers.get("accept-language", "")[:20] else "en"


def _safe_next(value: str) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


def _secure(console: Console) -> bool:
    return console.settings.public_url.startswith("https://")


def _login_form(request: Request, console: Console, *, failed: bool = False,
                status_code: int = 200) -> Response:
    token = csrf.new_token()
    response = render(console, "login.html", lang=_language(request), status_code=status_code,
                      user=None, csrf_token=token, failed=failed,
                      next=_safe_next(request.query_params.get("next", "")))
    response.set_cookie(csrf.LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(console), path="/login")
    return response


async def login_page(request: Request) -> Response:
    return _login_form(request, console_of(request))


async def login(request: Request) -> Response:
    console = console_of(request)
    form = await request.form(max_fields=10, max_files=0)
    if not csrf.valid(request.cookies.get(csrf.LOGIN_COOKIE), form.get(csrf.FIELD)):
        return error_page(console, _language(request), "bad_csrf", 403)
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:1000]

    def sign_in() -> tuple[str, str] | None:
        with console.factory() as db, db.begin():
            user = authenticate(db, username, password)
            if user is None:
                return None
            opened = open_session(db, user=user, now=utcnow(),
                                  hours=console.settings.session_hours)
            return opened.token, home(user)

    result = await run_in_threadpool(sign_in)
    if result is None:
        return _login_form(request, console, failed=True, status_code=401)
    token, landing = result
    response = RedirectResponse(_safe_next(str(form.get("next", ""))) or landing,
                                status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=_secure(console),
                        max_age=int(console.settings.session_hours * 3600))
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
    return response


def end_session(console: Console, token: str) -> None:
    with console.factory() as db, db.begin():
        close_session(db, token)
