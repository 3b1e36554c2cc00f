"""The request wrapper every console page goes through.

It does, in one place and in this order: find the signed-in user from the session
cookie, refuse a POST whose CSRF token does not match the session's, check the
role for the page's action, and open one database transaction for the handler. The
handlers themselves stay thin: they read the form and call a pipeline service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from config.departments import Department
from config.settings import Settings
from console import csrf
from console.dispatch import Dispatcher
from console.i18n import (
    demand_label,
    direction_label,
    kind_label,
    status_label,
    translator,
    value_label,
)
from console.roles import case_scope, may
from pipeline.cases.queues import QueueCounts, queue_counts
from pipeline.db.base import utcnow
from pipeline.db.models import User
from pipeline.review.model_keeper import ModelKeeper
from pipeline.staff.sessions import find_session

SESSION_COOKIE = "console_session"
TEMPLATES = Path(__file__).with_name("templates")
MAX_FORM_FIELDS = 200
PASSWORD_PATHS = ("/password", "/logout", "/language")  # all a temporary password opens


@dataclass
class Console:
    """What the pages share: settings, database, departments, templates, dispatcher."""

    settings: Settings
    factory: sessionmaker[Session]
    departments: tuple[Department, ...]
    dispatcher: Dispatcher
    models: ModelKeeper
    env: Environment = field(default_factory=lambda: Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)))


@dataclass
class Ctx:
    """One request as a handler sees it."""

    request: Request
    console: Console
    db: Session
    user: User
    csrf_token: str
    form: FormData | None
    after_commit: list[Callable[[], object]] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.user.language

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return render(self.console, template, status_code=status_code, user=self.user,
                      csrf_token=self.csrf_token, lang=self.lang,
                      queue_counts=counts_for(self.db, self.user), **values)


def counts_for(db: Session, user: User) -> QueueCounts:
    """The top bar's badges: one capped count per queue this user has."""
    return queue_counts(db, review=may(user, "review"), department=may(user, "department_queue"),
                        supervise=may(user, "supervise"),
                        scope=user.department or case_scope(user), now=utcnow())


def render(console: Console, template: str, *, lang: str, status_code: int = 200,
           **values: Any) -> HTMLResponse:
    t = translator(lang)
    html = console.env.get_template(template).render(
        t=t, lang=lang, status_label=lambda s: status_label(s, lang),
        kind_label=lambda k: kind_label(k, lang), demand_label=lambda d: demand_label(d, lang),
        direction_label=lambda d: direction_label(d, lang),
        value_label=lambda v: value_label(v, lang),
        departments=console.departments, **values)
    return HTMLResponse(html, status_code=status_code)


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def error_page(console: Console, lang: str, key: str, status_code: int,
               user: User | None = None) -> HTMLResponse:
    return render(console, "error.html", lang=lang, status_code=status_code, message_key=key,
                  user=user, csrf_token="")


def page(action: str | None = None, *, max_files: int = 0) -> Callable[
        [Callable[[Ctx], Response]], Callable[[Request], Any]]:
    """Wrap a synchronous handler: sign-in, CSRF, role, one transaction.

    ``max_files`` above 0 lets the form carry that many uploaded files (a staff reply);
    the body limit of :class:`console.app.SecurityHeaders` still applies.
    """

    def wrap(handler: Callable[[Ctx], Response]) -> Callable[[Request], Any]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            form = None
            if request.method == "POST":
                # The session first: a stranger's body is never read, let alone parsed.
                if not await run_in_threadpool(_signed_in, request):
                    return error_page(console_of(request), "zh", "bad_csrf", 403)
                form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=max_files)
            return await run_in_threadpool(_run, request, form, handler, action)

        return endpoint

    return wrap


def _signed_in(request: Request) -> bool:
    """Whether the request carries a current session (checked again in the transaction)."""
    console = console_of(request)
    with console.factory() as db:
        return find_session(db, request.cookies.get(SESSION_COOKIE, ""), now=utcnow(),
                            idle_minutes=console.settings.session_idle_minutes,
                            touch=False) is not None


def _run(request: Request, form: FormData | None,
         handler: Callable[[Ctx], Response], action: str | None) -> Response:
    console = console_of(request)
    hooks: list[Callable[[], object]] = []
    with console.factory() as db, db.begin():
        response = _checked(request, form, handler, action, console, db, hooks)
    for hook in hooks:  # after the commit: the work they start must see the decision
        hook()
    return response


def _checked(request: Request, form: FormData | None, handler: Callable[[Ctx], Response],
             action: str | None, console: Console, db: Session,
             hooks: list[Callable[[], object]]) -> Response:
    found = find_session(db, request.cookies.get(SESSION_COOKIE, ""), now=utcnow(),
                         idle_minutes=console.settings.session_idle_minutes)
    if found is None:
        if request.method == "POST":
            return error_page(console, "zh", "bad_csrf", 403)
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    user, token = found
    if form is not None and not csrf.valid(token, form.get(csrf.FIELD)):
        return error_page(console, user.language, "bad_csrf", 403, user)
    if user.must_change_password and request.url.path not in PASSWORD_PATHS:
        return RedirectResponse("/password", status_code=303)  # a temporary password
    if action is not None and not may(user, action):
        return error_page(console, user.language, "forbidden", 403, user)
    ctx = Ctx(request=request, console=console, db=db, user=user, csrf_token=token, form=form,
              after_commit=hooks)
    return handler(ctx)


def not_found(ctx: Ctx) -> HTMLResponse:
    return error_page(ctx.console, ctx.lang, "not_found", 404, ctx.user)
