"""The console's ASGI application, built from settings like every other entry point."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.departments import load_departments
from config.settings import Settings
from console.auth import login, login_page
from console.dispatch import Dispatcher
from console.routes import (
    cases,
    customers,
    password,
    quarantine,
    reports,
    resolution,
    session,
    users,
)
from console.web import Console
from pipeline.db.base import make_engine, make_session_factory
from pipeline.outbound.transport import MailTransport
from pipeline.review.model_keeper import ModelKeeper

STATIC = Path(__file__).with_name("static")
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
MAX_BODY = 2 * 1024 * 1024  # forms only; nothing is uploaded through the console


class SecurityHeaders:
    """Headers on every response; a route that sets its own CSP (framed mail) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if length.isdigit() and int(length) > MAX_BODY:
            await send({"type": "http.response.start", "status": 413, "headers": []})
            await send({"type": "http.response.body", "body": b"Request too large"})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                defaults = {
                    b"content-security-policy": PAGE_CSP.encode(),
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"no-referrer",
                    b"x-content-type-options": b"nosniff",
                    b"cache-control": b"no-store",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                headers += [(k, v) for k, v in defaults.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def routes() -> list[Route | Mount]:
    return [
        Route("/", session.start),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", session.logout, methods=["POST"]),
        Route("/language", session.set_language, methods=["POST"]),
        Route("/queue", cases.queue),
        Route("/department", cases.department_queue),
        Route("/search", cases.search),
        Route("/cases/{reference}", cases.case_page),
        Route("/cases/{reference}/original/{inbound_id:int}", cases.original),
        Route("/cases/{reference}/attachments/{attachment_id:int}", cases.attachment),
        Route("/cases/{reference}/correct", cases.correct, methods=["POST"]),
        Route("/cases/{reference}/route", cases.route, methods=["POST"]),
        Route("/cases/{reference}/not-ours", cases.not_ours, methods=["POST"]),
        Route("/cases/{reference}/propose", resolution.propose, methods=["POST"]),
        Route("/cases/{reference}/decide", resolution.decide, methods=["POST"]),
        Route("/cases/{reference}/agreement", resolution.agreement, methods=["POST"]),
        Route("/cases/{reference}/satisfaction", resolution.satisfaction, methods=["POST"]),
        Route("/cases/{reference}/deadline", resolution.deadline, methods=["POST"]),
        Route("/survey/{token}", resolution.survey, methods=["GET", "POST"]),
        Route("/reports", reports.reports_page),
        Route("/reports/file", reports.report_file),
        Route("/reports/recurring-note", reports.recurring_note, methods=["POST"]),
        Route("/search/export", reports.search_export),
        Route("/quarantine", quarantine.quarantine_list),
        Route("/quarantine/{inbound_id:int}", quarantine.quarantine_mail),
        Route("/quarantine/{inbound_id:int}/reprocess", quarantine.reprocess, methods=["POST"]),
        Route("/users", users.users_page, methods=["GET"]),
        Route("/users", users.create_user, methods=["POST"]),
        Route("/users/{username}", users.change_user, methods=["POST"]),
        Route("/password", password.password_page, methods=["GET"]),
        Route("/password", password.change_password, methods=["POST"]),
        Route("/reset/{token}", password.reset_page, methods=["GET"]),
        Route("/reset/{token}", password.reset_submit, methods=["POST"]),
        Route("/customers/export", customers.export_customer, methods=["POST"]),
        Route("/customers/erase", customers.erase_customer, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(
    settings: Settings,
    *,
    factory: sessionmaker[Session] | None = None,
    make_transport: Callable[[], MailTransport] | None = None,
) -> Starlette:
    """The console for these settings; the database schema must already be migrated."""
    if factory is None:
        factory = make_session_factory(make_engine(settings.effective_database_url))
    if make_transport is None:
        from workers.app import make_transport as default_transport

        def make_transport() -> MailTransport:
            return default_transport(settings)

    app = Starlette(routes=routes(), middleware=[Middleware(SecurityHeaders)])
    app.state.console = Console(
        settings=settings, factory=factory, departments=load_departments(settings),
        dispatcher=Dispatcher(factory, settings, make_transport), models=ModelKeeper(factory))
    return app
