"""The quarantine: mail and unreadable scans kept without a case, each with its reason.

Mail can be looked at raw and reprocessed; a scan's files can be downloaded (as
attachments are: never shown inline) to be entered by hand. The same page lists scans
held over an OCR budget (``pipeline.scans.budget``) with their reason, and releases
one (the service's sweep then reads it).
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from console.routes.cases import attachment_download
from console.web import Ctx, not_found, page
from pipeline.cases.queries import list_quarantined
from pipeline.review.quarantine import quarantined_mail, raw_source, requeue
from pipeline.scans.budget import held_scans, release_held
from pipeline.scans.queries import quarantined_scan


@page("quarantine")
def quarantine_list(ctx: Ctx) -> Response:
    return ctx.render("quarantine.html", title_key="quarantine",
                      rows=list_quarantined(ctx.db, limit=500), held=held_scans(ctx.db),
                      released=ctx.request.query_params.get("done") == "released")


@page("quarantine")
def quarantine_mail(ctx: Ctx) -> Response:
    row = quarantined_mail(ctx.db, ctx.request.path_params["inbound_id"])
    if row is None:
        return not_found(ctx)
    return ctx.render("quarantine_mail.html", title_key="quarantine", row=row,
                      raw=raw_source(row))


@page("quarantine")
def reprocess(ctx: Ctx) -> Response:
    inbound_id = ctx.request.path_params["inbound_id"]
    if not requeue(ctx.db, inbound_id):
        return ctx.render("message.html", title_key="quarantine", message_key="not_quarantined")
    ctx.after_commit.append(lambda: ctx.console.dispatcher.reprocess(inbound_id))
    return RedirectResponse("/quarantine?done=reprocessed", status_code=303)


@page("quarantine")
def release_scan(ctx: Ctx) -> Response:
    if not release_held(ctx.db, scan_id=ctx.request.path_params["scan_id"],
                        by=ctx.user.username):
        return not_found(ctx)
    return RedirectResponse("/quarantine?done=released#held-scans", status_code=303)


@page("quarantine")
def quarantine_scan(ctx: Ctx) -> Response:
    found = quarantined_scan(ctx.db, ctx.request.path_params["scan_id"])
    if found is None:
        return not_found(ctx)
    scan, files = found
    return ctx.render("quarantine_scan.html", title_key="quarantine", scan=scan, files=files)


@page("quarantine")
def quarantine_scan_file(ctx: Ctx) -> Response:
    """One file of a quarantined scan, as a download under a no-request CSP."""
    found = quarantined_scan(ctx.db, ctx.request.path_params["scan_id"])
    wanted = ctx.request.path_params["attachment_id"]
    row = next((f for f in found[1] if f.id == wanted), None) if found else None
    if row is None:
        return not_found(ctx)
    return attachment_download(ctx, row)
