"""Queues, search and the case page with its decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from config.departments import department_by_key
from config.mailboxes import mailbox_by_key
from config.policies import load_policies
from config.products import load_products
from config.triage import load_triage
from console.audit import trail
from console.roles import can_see, case_scope, may
from console.routes.fields import fields_context
from console.routes.history import history_context
from console.routes.identity import DONE_KEYS, identity_context
from console.routes.reply_form import DONE_KEYS as REPLY_DONE_KEYS
from console.routes.reply_form import reply_context
from console.routes.resolution import resolution_context
from console.web import Ctx, not_found, page
from pipeline.cases.queries import _events, _thread, acknowledgment_state
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, Case, LetterScan, ScanPage
from pipeline.documents.reasons import Unreadable
from pipeline.mail.attachments import attachment_path
from pipeline.review.classification import CLASSIFICATION, checked_classification
from pipeline.review.confidence import confidence, weak_fields
from pipeline.review.corrections import CorrectionError, correct_fields
from pipeline.review.original import original_html, original_mails
from pipeline.review.routing import RoutingDecision, RoutingError, decide_not_ours, route_case
from pipeline.review.search import CaseFilter, find_cases, review_queue
from pipeline.review.suggestions import acceptance_stats
from pipeline.review.unroute import UnrouteError
from pipeline.review.unroute import unroute as send_back_to_review
from pipeline.routing.suggest import Suggestion, case_text, suggest
from pipeline.scans.previews import page_preview
from pipeline.scans.review import scan_review

STRICT_FRAME_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox"
)


def _page_number(ctx: Ctx) -> int:
    raw = ctx.request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


@page("review")
def queue(ctx: Ctx) -> Response:
    found = review_queue(ctx.db, page=_page_number(ctx))
    return ctx.render("queue.html", title_key="review_queue", page=found,
                      confidence=confidence, acceptance=acceptance_stats(ctx.db), query="")


def _date(value: str, *, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


def search_filter(ctx: Ctx) -> CaseFilter:
    """The search form's filters, as the search page and its exports read them."""
    params = ctx.request.query_params
    return CaseFilter(
        status=params.get("status", ""), department=params.get("department", ""),
        channel=params.get("channel", ""), language=params.get("language", ""),
        received_from=_date(params.get("from", "")),
        received_to=_date(params.get("to", ""), end=True),
        text=params.get("q", ""), reference=params.get("reference", ""),
        customer=params.get("customer", ""), oldest_first=False, page=_page_number(ctx))


@page()
def search(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    wanted = search_filter(ctx)
    found = find_cases(ctx.db, wanted, scope=case_scope(ctx.user))
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items() if k != "page" and v)
    return ctx.render("search.html", title_key="search", page=found, confidence=confidence,
                      params=params, query=query)


def _visible_case(ctx: Ctx, reference: str) -> Case | None:
    case = ctx.db.scalar(select(Case).where(Case.reference == reference.upper()))
    if case is None or not can_see(ctx.user, case):
        return None  # another department's case is "not found", not "forbidden"
    return case


def _case_page(ctx: Ctx, case: Case, *, message: str = "", error: str = "",
               status_code: int = 200, reply_text: str | None = None) -> Response:
    suggestion: Suggestion | None = None
    mailbox = mailbox_by_key(ctx.console.settings, case.mailbox)
    if case.status == "new" and may(ctx.user, "review"):
        model = ctx.console.models.current(ctx.db)  # never waits for a training
        suggestion = suggest(case_text(case.subject, case.what_happened, case.demands),
                             ctx.console.departments, model, (mailbox.key, mailbox.department))
    attachments = ctx.db.scalars(select(Attachment).where(Attachment.case_id == case.id)
                                 .order_by(Attachment.id)).all()
    scan = scan_review(ctx.db, case.id)
    weak = weak_fields(case) + [key for key in (scan.weak if scan else [])
                                if key not in weak_fields(case)]
    events = _events(ctx.db, case.id)
    return ctx.render(
        "case.html", status_code=status_code, case=case, weak=weak, scan=scan,
        level=confidence(case), originals=original_mails(ctx.db, case.id),
        thread=_thread(ctx.db, case.id),
        audit=trail(ctx.db, events, language=ctx.lang,
                    departments=ctx.console.departments,
                    time_zone=ctx.console.settings.time_zone,
                    categories=load_triage(ctx.console.settings).categories),
        **fields_context(ctx, case, events),
        attachments=attachments, suggestion=suggestion, mailbox=mailbox,
        acknowledgment=acknowledgment_state(ctx.db, case),
        can_review=may(ctx.user, "review") and case.status == "new",
        can_unroute=may(ctx.user, "review") and case.status == "routed",
        department=department_by_key(ctx.console.departments, case.department),
        message=message, error=error, **resolution_context(ctx, case),
        **identity_context(ctx, case), **history_context(ctx, case),
        **reply_context(ctx, case, text=reply_text))


@page()
def case_page(ctx: Ctx) -> Response:
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    if case is None:
        return not_found(ctx)
    saved = ctx.request.query_params.get("done", "")
    return _case_page(ctx, case, message=saved if saved in (
        "saved", "nothing_changed", "routed_ok", "closed_ok", "proposed_ok", "decided_ok",
        "deadline_moved_ok", "agreement_ok", "satisfaction_ok", "recorded_ok", "merged_ok",
        "unrouted_ok", "assigned_ok", *DONE_KEYS, *REPLY_DONE_KEYS) else "")


@page()
def original(ctx: Ctx) -> Response:
    """The sanitised HTML of one mail (kept at intake), under a CSP that allows no request."""
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    wanted = ctx.request.path_params["inbound_id"]
    html = None if case is None else original_html(ctx.db, case.id, wanted)
    if html is None:
        return not_found(ctx)
    document = ("<!doctype html><meta charset=utf-8><style>body{font:14px sans-serif;"
                "margin:8px}</style>" + html)
    return Response(document, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": STRICT_FRAME_CSP, "X-Frame-Options": "SAMEORIGIN"})


def _content_disposition(name: str) -> str:
    """attachment; with an ASCII fallback and the RFC 5987 UTF-8 name."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                         for c in name)[:100] or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name[:200], safe='')}"


@page()
def attachment(ctx: Ctx) -> Response:
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    row = None
    if case is not None:
        row = ctx.db.scalar(select(Attachment).where(
            Attachment.id == ctx.request.path_params["attachment_id"],
            Attachment.case_id == case.id))
    if row is None:
        return not_found(ctx)
    return attachment_download(ctx, row)


def attachment_download(ctx: Ctx, row: Attachment) -> Response:
    """A stored file as a download, never shown inline: customer files are untrusted."""
    data = attachment_path(ctx.console.settings.storage_dir, row.storage_name).read_bytes()
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": _content_disposition(row.display_name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@page()
def scan_page_image(ctx: Ctx) -> Response:
    """One page of the case's letter as a PNG we drew, for staff who may see the case."""
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    found = None
    if case is not None:
        found = ctx.db.execute(
            select(ScanPage, Attachment)
            .join(LetterScan, LetterScan.id == ScanPage.scan_id)
            .join(Attachment, Attachment.id == ScanPage.file_id)
            .where(LetterScan.case_id == case.id,
                   ScanPage.number == ctx.request.path_params["number"])).first()
    if found is None:
        return not_found(ctx)
    settings = ctx.console.settings
    try:
        png = page_preview(data_dir=settings.data_dir, storage_dir=settings.storage_dir,
                           page=found[0], file=found[1])
    except (Unreadable, OSError):
        return not_found(ctx)
    return Response(png, media_type="image/png", headers={
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


def _reviewable(ctx: Ctx) -> Case | None:
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    return case if case is not None and case.status == "new" else None


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


@page("review")
def correct(ctx: Ctx) -> Response:
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    if case is None:
        return not_found(ctx)
    form = ctx.form
    assert form is not None
    # Only fields the form sent: a partial form never blanks what it did not show.
    changes: dict[str, object] = {name: ctx.field(name) for name in (
        "customer_name", "customer_email", "customer_phone", "customer_address", "subject",
        "what_happened", "language") if name in form}
    if "demands_shown" in form:  # unticked boxes send nothing, so the form says it had them
        changes["demands"] = [d for d in form.getlist("demands") if isinstance(d, str)]
    if "order_numbers" in form:
        changes["order_numbers"] = _lines(ctx.field("order_numbers"))
    changes.update({name: ctx.field(name) for name in CLASSIFICATION if name in form})
    settings = ctx.console.settings
    try:
        changes = checked_classification(changes, triage=load_triage(settings),
                                         products=load_products(settings))
        with ctx.db.begin_nested():
            changed = correct_fields(ctx.db, case=case, changes=changes,
                                     by=ctx.user.username,
                                     region=ctx.console.settings.phone_region)
    except CorrectionError as err:
        return _case_page(ctx, case, error=str(err), status_code=422)
    done = "saved" if changed else "nothing_changed"
    return RedirectResponse(f"/cases/{case.reference}?done={done}", status_code=303)


@page("review")
def route(ctx: Ctx) -> Response:
    case = _reviewable(ctx)
    if case is None:
        return not_found(ctx)
    decision = RoutingDecision(
        department=ctx.field("department"), responsibility=ctx.field("responsibility") or "ours",
        third_party=ctx.field("third_party"), suggested=ctx.field("suggested") or None,
        suggestion_source=ctx.field("suggestion_source"), opinion=ctx.field("opinion"),
        handler=ctx.field("handler"))
    settings = ctx.console.settings
    try:
        with ctx.db.begin_nested():
            route_case(ctx.db, case=case, decision=decision, settings=settings,
                       departments=ctx.console.departments, policies=load_policies(settings),
                       by=ctx.user.username, now=utcnow())
    except (RoutingError, ValueError) as err:
        return _case_page(ctx, case, error=str(err), status_code=422)
    case_id = case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    return RedirectResponse(f"/cases/{case.reference}?done=routed_ok", status_code=303)


@page("review")
def not_ours(ctx: Ctx) -> Response:
    case = _reviewable(ctx)
    if case is None:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            decide_not_ours(ctx.db, case=case, explanation=ctx.field("explanation"),
                            settings=ctx.console.settings, by=ctx.user.username, now=utcnow())
    except RoutingError as err:
        return _case_page(ctx, case, error=str(err), status_code=422)
    case_id = case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    return RedirectResponse(f"/cases/{case.reference}?done=closed_ok", status_code=303)


@page("review")
def unroute(ctx: Ctx) -> Response:
    """Send a routed case back to review, with the reason its department is mailed."""
    case = _visible_case(ctx, ctx.request.path_params["reference"])
    if case is None or case.status != "routed":
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            send_back_to_review(ctx.db, case=case, reason=ctx.field("reason"),
                                settings=ctx.console.settings,
                                departments=ctx.console.departments, by=ctx.user.username,
                                now=utcnow())
    except UnrouteError as err:
        return _case_page(ctx, case, error=str(err), status_code=422)
    case_id = case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    return RedirectResponse(f"/cases/{case.reference}?done=unrouted_ok", status_code=303)
