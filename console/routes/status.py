"""The customer's status page: ``/status/<token>``, outside the sign-in.

A stranger can reach it, so every request is bounded in the same order: the link's
signature is checked (a forged, expired or unknown link is a plain 404 that says
nothing about why), requests are counted per client address and per link in the
database (``pipeline.staff.throttle``: 429 with ``Retry-After``), and the form is
read only when its CSRF cookie is there and its declared size is small.

CSRF without a session: the page sets a random token in a ``SameSite=Strict``
cookie whose path is this link's own page, and the form carries the same token.
Another site cannot read the cookie or send it with a cross-site POST, and the
cookie of one link is never sent to another link's page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from config.departments import department_by_key
from config.secrets import secret_key
from console import csrf
from console.auth import clock_of
from console.i18n import customer_status, kind_label, translator
from console.web import Console, console_of, render
from letters.formatting import format_date, local_time
from pipeline.cases.status_page import StatusView, find_case, notice_pdf, status_view
from pipeline.intake.status_form import MAX_MESSAGE_CHARS, MessageRefused, file_status_message
from pipeline.links.status import StatusLinkError, read_document, read_status, sign_document
from pipeline.staff import throttle

COOKIE = "status_csrf"
MAX_FORM_BYTES = 32 * 1024
"""The form is one message of at most 4,000 characters: anything bigger is refused unread."""


def _plain_404() -> Response:
    """The same answer for forged, expired and unknown links: nothing to learn from it."""
    return HTMLResponse("Not found / 未找到", status_code=404)


def _too_many(seconds: int, language: str) -> Response:
    text = translator(language)("status_too_many").replace("{seconds}", str(seconds))
    return HTMLResponse(text, status_code=429, headers={"Retry-After": str(seconds)})


def _language(request: Request, case_language: str) -> str:
    chosen = request.query_params.get("lang", "")
    return chosen if chosen in ("zh", "en") else ("zh" if case_language == "zh" else "en")


def _case_id(console: Console, token: str) -> int | None:
    try:
        return read_status(token, secret=secret_key(console.settings))
    except StatusLinkError:
        return None


def _throttled(console: Console, request: Request, case_id: int | None, now: datetime) -> int:
    """Count this request; the seconds to wait when the address or the link is over its limit."""
    settings = console.settings
    address = request.client.host if request.client else ""
    limits = {f"status-addr:{address[:150]}": settings.status_page_address_requests}
    if case_id is not None:
        limits[f"status-link:{case_id}"] = settings.status_page_link_requests
    with console.factory() as db:
        left = throttle.visit_wait(db, list(limits), now=now)
    if left:
        return left
    return throttle.record_visits(console.factory, limits, now=now,
                                  window=timedelta(minutes=settings.status_page_window_minutes))


def _view(console: Console, case_id: int, now: datetime) -> StatusView | None:
    with console.factory() as db:
        case = find_case(db, case_id, now=now,
                         days=console.settings.status_link_days_after_closing)
        return status_view(db, case) if case is not None else None


def _page(request: Request, console: Console, view: StatusView, token: str, *,
          status_code: int = 200, **values: Any) -> Response:
    language = _language(request, view.language)
    secret = secret_key(console.settings)
    department = department_by_key(console.departments, view.department)
    zone = console.settings.time_zone
    letters = [{
        "kind": kind_label(letter.kind, language),
        "date": format_date(local_time(letter.at, zone), language),
        "by_post": letter.by_post,
        "download": (f"/status/{token}/notice/"
                     + sign_document(view.case_id, letter.notice_id, secret=secret)
                     if letter.notice_id else ""),
    } for letter in view.letters]
    form_token = request.cookies.get(COOKIE) or csrf.new_token()
    response = render(
        console, "status.html", lang=language, status_code=status_code, user=None,
        csrf_token=form_token, view=view, token=token, letters=letters,
        state_key=customer_status(view.status, view.closed),
        department_name=department.name(language) if department else "",
        due=format_date(local_time(view.due_at, zone), language) if view.due_at else "",
        max_chars=MAX_MESSAGE_CHARS, **values)
    response.set_cookie(COOKIE, form_token, httponly=True, samesite="strict",
                        secure=console.settings.public_url.startswith("https://"),
                        path=f"/status/{token}")
    return response


async def status_page(request: Request) -> Response:
    """Show the page (GET), or file the customer's message from its form (POST)."""
    console = console_of(request)
    token = request.path_params["token"]
    now = clock_of(request)()
    case_id = _case_id(console, token)
    wait = await run_in_threadpool(_throttled, console, request, case_id, now)
    if wait:
        return _too_many(wait, _language(request, "zh"))
    view = None if case_id is None else await run_in_threadpool(_view, console, case_id, now)
    if view is None:
        return _plain_404()
    if request.method == "GET":
        return _page(request, console, view, token, sent=request.query_params.get("sent") == "1")
    return await _write(request, console, view, token, now)


async def _write(request: Request, console: Console, view: StatusView, token: str,
                 now: datetime) -> Response:
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return HTMLResponse("Request too large / 请求过大", status_code=413)
    if not request.cookies.get(COOKIE):  # refused before the body is read
        return HTMLResponse("The form expired; reload the page. / 表单已过期，请刷新页面。",
                            status_code=403)
    form = await request.form(max_fields=5, max_files=0)
    if not csrf.valid(request.cookies.get(COOKIE), form.get(csrf.FIELD)):
        return HTMLResponse("The form expired; reload the page. / 表单已过期，请刷新页面。",
                            status_code=403)
    message = form.get("message")
    text = message if isinstance(message, str) else ""
    filed = await run_in_threadpool(_file, console, view.case_id, text, now)
    if filed is None:
        return _plain_404()  # the case closed long ago (or went) since the page was shown
    if not filed:
        return _page(request, console, view, token, status_code=422, error="status_empty")
    lang = request.query_params.get("lang", "")
    suffix = f"&lang={lang}" if lang in ("zh", "en") else ""
    return RedirectResponse(f"/status/{token}?sent=1{suffix}", status_code=303)


def _file(console: Console, case_id: int, text: str, now: datetime) -> bool | None:
    """File the message in one transaction; None when the link no longer works."""
    with console.factory() as db, db.begin():
        case = find_case(db, case_id, now=now,
                         days=console.settings.status_link_days_after_closing)
        if case is None:
            return None
        try:
            file_status_message(db, case=case, text=text, settings=console.settings, now=now)
        except MessageRefused:
            return False
    console.dispatcher.send_pending(case_id)  # whatever the reply set off (after commit)
    return True


async def notice_download(request: Request) -> Response:
    """A written notice of this link's case, as the customer received it."""
    console = console_of(request)
    token = request.path_params["token"]
    now = clock_of(request)()
    case_id = _case_id(console, token)
    wait = await run_in_threadpool(_throttled, console, request, case_id, now)
    if wait:
        return _too_many(wait, "zh")
    if case_id is None:
        return _plain_404()
    try:
        wanted = read_document(request.path_params["document"],
                               secret=secret_key(console.settings))
    except StatusLinkError:
        return _plain_404()
    if wanted.case_id != case_id:
        return _plain_404()  # another case's letter under this link
    found = await run_in_threadpool(_notice, console, case_id, wanted.notice_id, now)
    if found is None:
        return _plain_404()
    filename, pdf = found
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; sandbox"})


def _notice(console: Console, case_id: int, notice_id: int,
            now: datetime) -> tuple[str, bytes] | None:
    with console.factory() as db:
        if find_case(db, case_id, now=now,
                     days=console.settings.status_link_days_after_closing) is None:
            return None
        notice = notice_pdf(db, case_id=case_id, notice_id=notice_id)
        return (notice.filename, notice.pdf) if notice is not None else None
