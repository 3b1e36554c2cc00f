"""What the case page's reply section shows: who may write, where it goes, the templates."""

from __future__ import annotations

from typing import Any

from console.roles import may
from console.web import Ctx
from letters.acknowledgment import letter_language
from pipeline.conversation.reply_templates import filled, list_templates
from pipeline.conversation.staff_reply import may_reply, new_token
from pipeline.db.models import Case, ReplyTemplate
from pipeline.outbound.case_mail import can_email

DONE_KEYS = ("reply_sent_email", "reply_sent_post")


def _picked(ctx: Ctx, templates: list[ReplyTemplate]) -> ReplyTemplate | None:
    wanted = ctx.request.query_params.get("template", "")
    return next((t for t in templates if str(t.id) == wanted), None)


def reply_context(ctx: Ctx, case: Case, *, text: str | None = None) -> dict[str, Any]:
    """The reply form's values; ``text`` keeps what staff wrote when a reply was refused."""
    allowed = may(ctx.user, "reply") and may_reply(ctx.user, case) and case.erased_at is None
    if not allowed:
        return {"can_reply": False}
    templates = list_templates(ctx.db, letter_language(case.language))
    picked = _picked(ctx, templates)
    if text is None:
        text = filled(picked, case) if picked is not None else ""
    return {
        "can_reply": True, "reply_templates": templates, "reply_text": text,
        "reply_template_id": picked.id if picked is not None else None,
        "reply_token": new_token(), "reply_by_mail": can_email(case),
        "reply_max_files": ctx.console.settings.reply_max_files,
        "reply_max_mb": f"{ctx.console.settings.reply_max_bytes / 1_000_000:g}",
    }
