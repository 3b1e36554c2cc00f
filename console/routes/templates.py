"""The Templates page (admins only): the wording of every mail and letter, versioned.

Saving goes through ``pipeline.wording.store``, which renders every sample letter
with the new text first; a text that fails is shown again with the error, unsaved.
Previews render sample values with the saved text or the unsaved draft; the letter
comes as a PNG we drew (a data: URI, which the page's CSP allows for images), the
HTML mail in a sandboxed ``srcdoc`` frame, so nothing an admin writes runs in the page.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import RedirectResponse, Response

from console.web import Ctx, not_found, page
from letters.pdf.fonts import FontSource
from letters.render import template_names
from letters.samples import check_template, kind_of, language_of
from pipeline.db.base import utcnow
from pipeline.wording.preview import letter_png, mail_preview
from pipeline.wording.store import (
    TemplateCheckError,
    list_templates,
    restore_version,
    save_template,
    template_body,
    template_versions,
)

MAX_TEMPLATE = 100_000  # characters; the shipped templates are under 4,000


@page("manage_templates")
def templates_page(ctx: Ctx) -> Response:
    return ctx.render("templates.html", title_key="templates", rows=list_templates(ctx.db))


def _name(ctx: Ctx) -> str | None:
    name = ctx.request.path_params["name"]
    return name if name in template_names() else None


def _edit(ctx: Ctx, name: str, *, body: str, version: int, status_code: int = 200,
          error: str = "", draft: bool = False, viewing: int | None = None) -> Response:
    fonts = FontSource.from_settings(ctx.console.settings)
    preview: dict[str, Any] = {"mails": [], "png": ""}
    if not error:
        shown = body if draft or viewing is not None else None  # else: what is in use
        preview["mails"] = mail_preview(name, shown)
        png = letter_png(name, shown, fonts=fonts)
        preview["png"] = base64.b64encode(png).decode("ascii") if png else ""
    return ctx.render("template_edit.html", status_code=status_code, title_key="templates",
                      name=name, kind=kind_of(name), language=language_of(name), body=body,
                      version=version, versions=template_versions(ctx.db, name), error=error,
                      draft=draft, viewing=viewing, preview=preview,
                      saved=ctx.request.query_params.get("done") == "1")


@page("manage_templates")
def template_page(ctx: Ctx) -> Response:
    name = _name(ctx)
    if name is None:
        return not_found(ctx)
    raw = ctx.request.query_params.get("version", "")
    wanted = int(raw) if raw.isdigit() and len(raw) < 7 else None
    try:
        version, body = template_body(ctx.db, name, wanted)
    except TemplateCheckError:
        return not_found(ctx)
    return _edit(ctx, name, body=body, version=version, viewing=wanted)


@page("manage_templates")
def template_save(ctx: Ctx) -> Response:
    """Save (after the check) or only preview the text in the form."""
    name = _name(ctx)
    if name is None:
        return not_found(ctx)
    value = ctx.form.get("body") if ctx.form is not None else None
    body = (value if isinstance(value, str) else "").replace("\r\n", "\n")
    current, _ = template_body(ctx.db, name)
    if len(body) > MAX_TEMPLATE:
        return _edit(ctx, name, body=body[:MAX_TEMPLATE], version=current, status_code=422,
                     error=f"Longer than {MAX_TEMPLATE:,} characters. "
                           f"/ 超过 {MAX_TEMPLATE:,} 个字符。")
    if ctx.field("action") == "preview":
        try:
            check_template(name, body)
            return _edit(ctx, name, body=body, version=current, draft=True)
        except TemplateCheckError as err:
            return _edit(ctx, name, body=body, version=current, status_code=422, error=str(err))
    try:
        with ctx.db.begin_nested():
            save_template(ctx.db, name=name, body=body, by=ctx.user.username, now=utcnow())
    except TemplateCheckError as err:
        return _edit(ctx, name, body=body, version=current, status_code=422, error=str(err))
    return RedirectResponse(f"/templates/{name}?done=1", status_code=303)


@page("manage_templates")
def template_restore(ctx: Ctx) -> Response:
    name = _name(ctx)
    raw = ctx.field("version")
    if name is None or not raw.isdigit() or len(raw) > 6:
        return not_found(ctx)
    try:
        with ctx.db.begin_nested():
            restore_version(ctx.db, name=name, version=int(raw), by=ctx.user.username,
                            now=utcnow())
    except TemplateCheckError as err:
        current, body = template_body(ctx.db, name)
        return _edit(ctx, name, body=body, version=current, status_code=422, error=str(err))
    return RedirectResponse(f"/templates/{name}?done=1", status_code=303)
