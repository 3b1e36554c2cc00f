"""Who the customer is: staff decisions on unverified mail, contact candidates, held mail.

Thin handlers over :mod:`pipeline.cases.sender_review` and
:mod:`pipeline.outbound.ack_budget`; each has a ``complaints`` CLI equivalent
(``cases confirm-sender``, ``cases split``, ``cases adopt-address``,
``acks held``/``acks release``). Mail they queue is sent after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from console.roles import can_see, may
from console.web import Ctx, not_found, page
from pipeline.cases.customer_addresses import case_addresses
from pipeline.cases.sender_review import (
    SenderReviewError,
    adopt_candidate,
    confirm_sender,
    split_mail,
)
from pipeline.db.models import Case, OutboundMail
from pipeline.outbound.ack_budget import HELD, ReleaseError, held_mails, release_held

DONE_KEYS = ("sender_confirmed", "split_ok", "address_adopted", "ack_released")


def identity_context(ctx: Ctx, case: Case) -> dict[str, Any]:
    """What the case page shows about the customer's addresses and held mail."""
    held = ctx.db.scalars(select(OutboundMail).where(
        OutboundMail.case_id == case.id, OutboundMail.status == HELD)).all()
    return {
        "addresses": case_addresses(ctx.db, case),
        "held": held,
        "can_confirm": may(ctx.user, "review"),
    }


def _case(ctx: Ctx) -> Case | None:
    case = ctx.db.scalar(select(Case).where(
        Case.reference == ctx.request.path_params["reference"].upper()))
    return case if case is not None and can_see(ctx.user, case) else None


def _ledger_id(ctx: Ctx) -> int:
    raw = ctx.field("ledger_id")
    return int(raw) if raw.isdigit() and len(raw) < 12 else -1


def _failed(ctx: Ctx, case: Case, error: str) -> Response:
    from console.routes.cases import _case_page  # the case page, shown with the error

    return _case_page(ctx, case, error=error, status_code=422)


def _done(case: Case, key: str) -> Response:
    return RedirectResponse(f"/cases/{case.reference}?done={key}", status_code=303)


@page("review")
def confirm(ctx: Ctx) -> Response:
    case = _case(ctx)
    if case is None:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            confirm_sender(ctx.db, case=case, ledger_id=_ledger_id(ctx), by=ctx.user.username)
    except SenderReviewError as err:
        return _failed(ctx, case, str(err))
    return _done(case, "sender_confirmed")


@page("review")
def split(ctx: Ctx) -> Response:
    case = _case(ctx)
    if case is None:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            new_case, _ = split_mail(ctx.db, case=case, ledger_id=_ledger_id(ctx),
                                     by=ctx.user.username, settings=ctx.console.settings)
    except SenderReviewError as err:
        return _failed(ctx, case, str(err))
    new_id = new_case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(new_id))
    return _done(new_case, "split_ok")


@page("review")
def adopt(ctx: Ctx) -> Response:
    case = _case(ctx)
    if case is None:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            adopt_candidate(ctx.db, case=case, address=ctx.field("address"),
                            by=ctx.user.username)
    except SenderReviewError as err:
        return _failed(ctx, case, str(err))
    return _done(case, "address_adopted")


@page("review")
def release(ctx: Ctx) -> Response:
    case = _case(ctx)
    if case is None:
        return not_found(ctx)
    raw = ctx.field("outbound_id")
    try:
        with ctx.db.begin_nested():
            release_held(ctx.db, case=case, by=ctx.user.username,
                         outbound_id=int(raw) if raw.isdigit() and len(raw) < 12 else None)
    except ReleaseError as err:
        return _failed(ctx, case, str(err))
    case_id = case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    return _done(case, "ack_released")


@page("review")
def held_list(ctx: Ctx) -> Response:
    return ctx.render("held.html", title_key="held_mail", rows=held_mails(ctx.db))
