"""The console's ASGI application, built from settings like every other entry point."""

from __future__ import annotations

import re
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
from console.dispatch import Dispatcher, SendOutbound
from console.routes import (
    cases,
    customers,
    fields,
    history,
    identity,
    new_case,
    ops,
    password,
    quarantine,
    queues,
    replies,
    reports,
    resolution,
    session,
    status,
    templates,
    users,
)
from console.web import Console
from pipeline.db.base import make_engine, make_session_factory
from pipeline.ops.metrics import metrics_registry
from pipeline.outbound.transport import MailTransport
from pipeline.review.model_keeper import ModelKeeper

STATIC = Path(__file__).with_name("static")
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
MAX_BODY = 2 * 1024 * 1024  # forms; only a staff reply uploads files (its own limit)
UPLOAD_PATH = re.compile(r"^/cases/[^/]+/reply$")


class BodyTooLarge(Exception):
    """The request body passed ``MAX_BODY`` while it was being received."""


async def _too_large(send: Send) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body",
                "body": "Request too large / 请求过大".encode()})


class SecurityHeaders:
    """Headers on every response; a route that sets its own CSP (framed mail) keeps it.

    It also bounds every request body. A declared ``Content-Length`` over the limit is
    refused before anything is read; a chunked body (no length) is counted as it
    arrives and cut with 413 the moment it passes the limit, so nothing behind this
    middleware ever holds more than ``MAX_BODY`` of a request.
    """

    def __init__(self, app: ASGIApp, upload_limit: int = MAX_BODY) -> None:
        self.app = app
        self.upload_limit = max(upload_limit, MAX_BODY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A staff reply carries its files: the reply limit plus room for the form.
        limit = self.upload_limit if UPLOAD_PATH.match(scope.get("path", "")) else MAX_BODY
        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            await _too_large(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
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

        try:
            await self.app(scope, counted, with_headers)
        except BodyTooLarge:
            if not started:
                await _too_large(send)


def routes() -> list[Route | Mount]:
    return [
        Route("/", session.start),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", session.logout, methods=["POST"]),
        Route("/language", session.set_language, methods=["POST"]),
        Route("/queue", cases.queue),
        Route("/department", queues.department),
        Route("/approvals", queues.approvals),
        Route("/overdue", queues.overdue),
        Route("/search", cases.search),
        Route("/cases/new", new_case.new_case_form, methods=["GET"]),
        Route("/cases/new", new_case.create_case, methods=["POST"]),
        Route("/cases/{reference}", cases.case_page),
        Route("/cases/{reference}/original/{inbound_id:int}", cases.original),
        Route("/cases/{reference}/attachments/{attachment_id:int}", cases.attachment),
        Route("/cases/{reference}/scan/{number:int}.png", cases.scan_page_image),
        Route("/cases/{reference}/correct", cases.correct, methods=["POST"]),
        Route("/cases/{reference}/route", cases.route, methods=["POST"]),
        Route("/cases/{reference}/not-ours", cases.not_ours, methods=["POST"]),
        Route("/cases/{reference}/merge", history.merge, methods=["POST"]),
        Route("/cases/{reference}/unroute", cases.unroute, methods=["POST"]),
        Route("/cases/{reference}/assign", fields.assign, methods=["POST"]),
        Route("/cases/{reference}/propose", resolution.propose, methods=["POST"]),
        Route("/cases/{reference}/decide", resolution.decide, methods=["POST"]),
        Route("/cases/{reference}/agreement", resolution.agreement, methods=["POST"]),
        Route("/cases/{reference}/satisfaction", resolution.satisfaction, methods=["POST"]),
        Route("/cases/{reference}/deadline", resolution.deadline, methods=["POST"]),
        Route("/cases/{reference}/reply", replies.reply, methods=["POST"]),
        Route("/reply-templates", replies.templates_page, methods=["GET"]),
        Route("/reply-templates", replies.add, methods=["POST"]),
        Route("/reply-templates/{template_id:int}", replies.change, methods=["POST"]),
        Route("/survey/{token}", resolution.survey, methods=["GET", "POST"]),
        Route("/status/{token}", status.status_page, methods=["GET", "POST"]),
        Route("/status/{token}/notice/{document}", status.notice_download),
        Route("/cases/{reference}/confirm-sender", identity.confirm, methods=["POST"]),
        Route("/cases/{reference}/split", identity.split, methods=["POST"]),
        Route("/cases/{reference}/adopt-address", identity.adopt, methods=["POST"]),
        Route("/cases/{reference}/release", identity.release, methods=["POST"]),
        Route("/acks/held", identity.held_list),
        Route("/reports", reports.reports_page),
        Route("/reports/file", reports.report_file),
        Route("/reports/recurring-note", reports.recurring_note, methods=["POST"]),
        Route("/search/export", reports.search_export),
        Route("/quarantine", quarantine.quarantine_list),
        Route("/quarantine/{inbound_id:int}", quarantine.quarantine_mail),
        Route("/quarantine/{inbound_id:int}/reprocess", quarantine.reprocess, methods=["POST"]),
        Route("/scans/{scan_id:int}/release", quarantine.release_scan, methods=["POST"]),
        Route("/quarantine/scans/{scan_id:int}", quarantine.quarantine_scan),
        Route("/quarantine/scans/{scan_id:int}/files/{attachment_id:int}",
              quarantine.quarantine_scan_file),
        Route("/users", users.users_page, methods=["GET"]),
        Route("/users", users.create_user, methods=["POST"]),
        Route("/healthz", ops.healthz),
        Route("/metrics", ops.metrics),
        Route("/users/{username}", users.change_user, methods=["POST"]),
        Route("/templates", templates.templates_page),
        Route("/templates/{name}", templates.template_page, methods=["GET"]),
        Route("/templates/{name}", templates.template_save, methods=["POST"]),
        Route("/templates/{name}/restore", templates.template_restore, methods=["POST"]),
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
    send_outbound: SendOutbound | None = None,
    make_transport: Callable[[], MailTransport] | None = None,
) -> Starlette:
    """The console for these settings; the database schema must already be migrated.

    ``send_outbound`` hands mail ids to the senders (the composition root passes the
    workers' outbox queue); without it pending mail waits for the sweep.
    ``make_transport`` sends what belongs to no case (a password-reset link).
    """
    if factory is None:
        factory = make_session_factory(make_engine(settings.effective_database_url))

    upload_limit = settings.reply_max_bytes + MAX_BODY  # the files, plus the form around them
    app = Starlette(routes=routes(),
                    middleware=[Middleware(SecurityHeaders, upload_limit=upload_limit)])
    app.state.console = Console(
        settings=settings, factory=factory, departments=load_departments(settings),
        dispatcher=Dispatcher(factory, settings, send_outbound, make_transport),
        models=ModelKeeper(factory))
    app.state.metrics = metrics_registry(factory, settings)
    return app
