"""Signing in and out. Passwords are checked with argon2 (``pipeline.staff.users``);
the session lives in the database and its random token in an HttpOnly cookie.

Sign-in is the one page a stranger can reach, so it is bounded: the CSRF cookie must
be there before the body is read; failures are throttled per user name and per client
address in the database (``pipeline.staff.throttle``: 429 with ``Retry-After``); and
at most ``ARGON2_SLOTS`` password checks run at once (each takes 64 MiB), so a flood of
attempts waits its turn, or is turned away, instead of exhausting memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import csrf
from console.roles import home
from console.web import SESSION_COOKIE, Console, console_of, error_page, render
from pipeline.db.base import utcnow
from pipeline.staff import throttle
from pipeline.staff.sessions import close_session, open_session
from pipeline.staff.users import authenticate

ARGON2_SLOTS = threading.BoundedSemaphore(2)
SLOT_WAIT_SECONDS = 10.0


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
                status_code: int = 200, wait: int = 0, busy: bool = False) -> Response:
    token = csrf.new_token()
    response = render(console, "login.html", lang=_language(request), status_code=status_code,
                      user=None, csrf_token=token, failed=failed, wait=wait, busy=busy,
                      next=_safe_next(request.query_params.get("next", "")))
    if wait or busy:
        response.headers["Retry-After"] = str(wait or 1)
    response.set_cookie(csrf.LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(console), path="/login")
    return response


async def login_page(request: Request) -> Response:
    return _login_form(request, console_of(request))


def clock_of(request: Request) -> Callable[[], datetime]:
    """The app's clock (tests move it to see a wait pass without waiting)."""
    return getattr(request.app.state, "clock", utcnow)  # type: ignore[no-any-return]


def _limits(console: Console) -> throttle.Limits:
    settings = console.settings
    return throttle.Limits(user_failures=settings.sign_in_user_failures,
                           address_failures=settings.sign_in_address_failures,
                           window=timedelta(minutes=settings.sign_in_window_minutes),
                           first_wait_seconds=settings.sign_in_wait_seconds)


def _sign_in(console: Console, username: str, password: str, address: str,
             now: datetime) -> tuple[str, str] | int:
    """A session token and landing page, or the seconds to wait (0 = wrong password, no wait).

    The throttle is checked before argon2 runs, and argon2 runs only in a free slot.
    """
    with console.factory() as db:
        left = throttle.wait_left(db, username, address, now=now)
    if left:
        return left
    if not ARGON2_SLOTS.acquire(timeout=SLOT_WAIT_SECONDS):
        return -1
    try:
        with console.factory() as db, db.begin():
            user = authenticate(db, username, password)
            if user is not None:
                throttle.clear(db, username)
                opened = open_session(db, user=user, now=now,
                                      hours=console.settings.session_hours)
                return opened.token, home(user)
    finally:
        ARGON2_SLOTS.release()
    return throttle.record_failure(console.factory, username, address, now=now,
                                   limits=_limits(console))


async def login(request: Request) -> Response:
    console = console_of(request)
    if not request.cookies.get(csrf.LOGIN_COOKIE):  # refused before the body is read
        return error_page(console, _language(request), "bad_csrf", 403)
    form = await request.form(max_fields=10, max_files=0)
    if not csrf.valid(request.cookies.get(csrf.LOGIN_COOKIE), form.get(csrf.FIELD)):
        return error_page(console, _language(request), "bad_csrf", 403)
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:1000]
    address = request.client.host if request.client else ""
    result = await run_in_threadpool(_sign_in, console, username, password, address,
                                     clock_of(request)())
    if result == -1:
        return _login_form(request, console, busy=True, status_code=503)
    if isinstance(result, int):
        if result:
            return _login_form(request, console, wait=result, status_code=429)
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
