"""Staff write to the customer from the case page; admins keep the reply templates.

Thin handlers: the reply form (text, uploaded files, the form's one-time token) goes to
:func:`pipeline.conversation.staff_reply.send_staff_reply`, which decides mail or post;
the mail is handed to the outbox after the commit.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from console.roles import can_see
from console.routes.cases import _case_page
from console.web import Ctx, not_found, page
from pipeline.conversation.reply_templates import (
    TemplateError,
    add_template,
    delete_template,
    edit_template,
    list_templates,
)
from pipeline.conversation.staff_reply import ReplyError, ReplyFile, send_staff_reply
from pipeline.db.models import Case

MAX_UPLOADS = 20  # parts the form may carry; the service applies COMPLAINTS_REPLY_MAX_FILES


def _files(ctx: Ctx) -> list[ReplyFile]:
    assert ctx.form is not None
    files = []
    for item in ctx.form.getlist("files"):
        if not isinstance(item, UploadFile):
            continue
        payload = item.file.read()
        if not item.filename and not payload:
            continue  # the empty file field of a form sent without a file
        files.append(ReplyFile(item.filename or "", item.content_type or "", payload))
    return files


@page("reply", max_files=MAX_UPLOADS)
def reply(ctx: Ctx) -> Response:
    case = ctx.db.scalar(select(Case).where(
        Case.reference == ctx.request.path_params["reference"].upper()))
    if case is None or not can_see(ctx.user, case):
        return not_found(ctx)
    text = ctx.field("text")
    try:
        with ctx.db.begin_nested():
            sent = send_staff_reply(ctx.db, case=case, text=text, files=_files(ctx),
                                    by=ctx.user, settings=ctx.console.settings,
                                    token=ctx.field("reply_token"))
    except ReplyError as err:
        return _case_page(ctx, case, error=str(err), status_code=422, reply_text=text)
    case_id = case.id
    ctx.after_commit.append(lambda: ctx.console.dispatcher.send_pending(case_id))
    done = "reply_sent_email" if sent.channel == "email" else "reply_sent_post"
    return RedirectResponse(f"/cases/{case.reference}?done={done}#reply", status_code=303)


def _templates_page(ctx: Ctx, *, error: str = "", status_code: int = 200) -> Response:
    return ctx.render("reply_templates.html", status_code=status_code,
                      title_key="reply_templates", templates=list_templates(ctx.db),
                      error=error, done=ctx.request.query_params.get("done", "") == "1")


@page("manage_templates")
def templates_page(ctx: Ctx) -> Response:
    return _templates_page(ctx)


@page("manage_templates")
def add(ctx: Ctx) -> Response:
    try:
        with ctx.db.begin_nested():
            add_template(ctx.db, name=ctx.field("name"), language=ctx.field("language"),
                         body=ctx.field("body"), by=ctx.user.username)
    except TemplateError as err:
        return _templates_page(ctx, error=str(err), status_code=422)
    return RedirectResponse("/reply-templates?done=1", status_code=303)


@page("manage_templates")
def change(ctx: Ctx) -> Response:
    template_id = ctx.request.path_params["template_id"]
    action = ctx.field("action")
    try:
        with ctx.db.begin_nested():
            if action == "delete":
                delete_template(ctx.db, template_id=template_id, by=ctx.user.username)
            elif action == "edit":
                edit_template(ctx.db, template_id=template_id, name=ctx.field("name"),
                              language=ctx.field("language"), body=ctx.field("body"),
                              by=ctx.user.username)
            else:
                return not_found(ctx)
    except TemplateError as err:
        return _templates_page(ctx, error=str(err), status_code=422)
    return RedirectResponse("/reply-templates?done=1", status_code=303)
