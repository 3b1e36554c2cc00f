"""The *New complaint* form: a complaint taken on the phone, at the counter or from a
letter not scanned, recorded by intake staff (``complaints cases add`` on the CLI).

A thin handler: it reads the form and calls :func:`open_manual_case`; an
acknowledgment mail is handed to the senders after the commit.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from console.web import Ctx, page
from pipeline.cases.manual import (
    LANGUAGES,
    MANUAL_CHANNELS,
    ManualCaseError,
    ManualComplaint,
    open_manual_case,
)

FIELDS = ("channel", "name", "phone", "email", "address", "language", "text")


def _form(ctx: Ctx, *, values: dict[str, str], error: str = "",
          status_code: int = 200) -> Response:
    return ctx.render("new_case.html", status_code=status_code, title_key="new_complaint",
                      channels=MANUAL_CHANNELS, languages=LANGUAGES, values=values, error=error)


@page("record_complaint")
def new_case_form(ctx: Ctx) -> Response:
    return _form(ctx, values={"channel": "phone", "language": ctx.lang})


@page("record_complaint")
def create_case(ctx: Ctx) -> Response:
    values = {name: ctx.field(name) for name in FIELDS}
    complaint = ManualComplaint(channel=values["channel"], name=values["name"],
                                text=values["text"], by=ctx.user.username,
                                phone=values["phone"], email=values["email"],
                                address=values["address"], language=values["language"])
    try:
        with ctx.db.begin_nested():
            opened = open_manual_case(ctx.db, complaint=complaint,
                                      settings=ctx.console.settings)
    except ManualCaseError as err:
        return _form(ctx, values=values, error=str(err), status_code=422)
    case_id, reference = opened.case.id, opened.case.reference
    if opened.outbound_ids:
        ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    return RedirectResponse(f"/cases/{reference}?done=recorded_ok", status_code=303)
