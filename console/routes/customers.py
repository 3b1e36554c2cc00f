"""A customer's personal data from the console (admins only): export as a zip, erase."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import RedirectResponse, Response

from console.i18n import translator
from console.routes.users import render_users
from console.web import Ctx, page
from pipeline.privacy.erase import erase_holdings
from pipeline.privacy.export import collect, zip_bytes
from pipeline.privacy.holdings import Person, PersonError, find_holdings
from pipeline.staff.audit import record_staff_action


def _person(ctx: Ctx) -> Person:
    return Person.named(ctx.field("email")[:320], ctx.field("phone")[:40])


@page("manage_users")
def export_customer(ctx: Ctx) -> Response:
    """The zip goes straight to the admin's browser; only the fact of it is recorded."""
    try:
        person = _person(ctx)
    except PersonError as err:
        return render_users(ctx, status_code=422, error=str(err))
    holdings = find_holdings(ctx.db, person)
    if holdings.empty:
        return render_users(ctx, status_code=404, error=translator(ctx.lang)("nothing_found"))
    export = collect(ctx.db, holdings, storage_root=Path(ctx.console.settings.storage_dir),
                     person={"email": person.email, "phone": person.phone})
    record_staff_action(ctx.db, actor=ctx.user.username, action="personal_data_exported",
                        target=f"{len(holdings.case_ids)} case(s)", found_by=person.label(),
                        cases=[c["reference"] for c in export.data["cases"]],
                        mails=len(holdings.inbound_ids))
    return Response(zip_bytes(export), media_type="application/zip", headers={
        "content-disposition": 'attachment; filename="personal-data.zip"'})


@page("manage_users")
def erase_customer(ctx: Ctx) -> Response:
    """Erase after the admin typed ERASE and gave a reason.

    The erasure runs right after this request's transaction commits (its own
    transaction, then a VACUUM, which cannot run inside another), before the answer
    goes back; the page it leads to shows the audit entry.
    """
    t = translator(ctx.lang)
    try:
        person = _person(ctx)
    except PersonError as err:
        return render_users(ctx, status_code=422, error=str(err))
    reason = ctx.field("reason")[:500]
    if ctx.field("confirm") != "ERASE" or not reason:
        return render_users(ctx, status_code=422, error=t("erase_confirm"))
    holdings = find_holdings(ctx.db, person)
    if holdings.empty:
        return render_users(ctx, status_code=404, error=t("nothing_found"))
    console, by = ctx.console, ctx.user.username
    ctx.after_commit.append(lambda: erase_holdings(
        console.factory, settings=console.settings, holdings=holdings, reason=reason, by=by))
    return RedirectResponse(f"/users?erased={len(holdings.case_ids)}", status_code=303)
