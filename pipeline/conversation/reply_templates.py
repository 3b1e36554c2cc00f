"""Reusable starts for staff replies, in Chinese and English, kept by admins.

A template is only a start: staff edit the text before it goes out. ``{reference}``
and ``{name}`` in a template are filled with the case's reference and the customer's
name when staff pick it; nothing else is interpreted, so a template can hold any text.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import Case, ReplyTemplate
from pipeline.staff.audit import record_staff_action

LANGUAGES = ("zh", "en")
MAX_BODY = 10_000


class TemplateError(ValueError):
    """A template that cannot be saved; the message (English and Chinese) is for staff."""


def list_templates(session: Session, language: str | None = None) -> list[ReplyTemplate]:
    """Every template (or one language's), by language and name."""
    query = select(ReplyTemplate).order_by(ReplyTemplate.language, ReplyTemplate.name)
    if language:
        query = query.where(ReplyTemplate.language == language)
    return list(session.scalars(query))


def _checked(session: Session, *, name: str, language: str, body: str,
             own_id: int | None) -> tuple[str, str, str]:
    name, body = " ".join(name.split())[:100], body.replace("\r\n", "\n").strip()
    if not name:
        raise TemplateError("Give the template a name. / 请填写模板名称。")
    if language not in LANGUAGES:
        raise TemplateError("Language: zh or en. / 语言：zh 或 en。")
    if not body or len(body) > MAX_BODY:
        raise TemplateError(f"Write the text (at most {MAX_BODY} characters). "
                            f"/ 请填写正文（不超过 {MAX_BODY} 字）。")
    clash = session.scalar(select(ReplyTemplate.id).where(
        ReplyTemplate.name == name, ReplyTemplate.language == language))
    if clash is not None and clash != own_id:
        raise TemplateError("A template of that name and language exists. "
                            "/ 已有同名同语言的模板。")
    return name, language, body


def add_template(session: Session, *, name: str, language: str, body: str,
                 by: str) -> ReplyTemplate:
    """Save a new template (audited as a staff action)."""
    name, language, body = _checked(session, name=name, language=language, body=body,
                                    own_id=None)
    row = ReplyTemplate(name=name, language=language, body=body, updated_by=by)
    session.add(row)
    session.flush()
    record_staff_action(session, actor=by, action="reply_template_added", target=name,
                        language=language, template_id=row.id)
    return row


def find_template(session: Session, template_id: int) -> ReplyTemplate:
    row = session.get(ReplyTemplate, template_id)
    if row is None:
        raise TemplateError(f"No reply template #{template_id}. / 没有该回复模板。")
    return row


def edit_template(session: Session, *, template_id: int, name: str, language: str, body: str,
                  by: str) -> ReplyTemplate:
    """Change a template's name, language or text."""
    row = find_template(session, template_id)
    row.name, row.language, row.body = _checked(session, name=name, language=language,
                                                body=body, own_id=row.id)
    row.updated_by = by
    record_staff_action(session, actor=by, action="reply_template_edited", target=row.name,
                        language=row.language, template_id=row.id)
    return row


def delete_template(session: Session, *, template_id: int, by: str) -> None:
    """Remove a template; replies already sent keep their text."""
    row = find_template(session, template_id)
    record_staff_action(session, actor=by, action="reply_template_deleted", target=row.name,
                        language=row.language, template_id=row.id)
    session.delete(row)


def filled(template: ReplyTemplate, case: Case) -> str:
    """The template's text for this case: ``{reference}`` and ``{name}`` filled in."""
    return (template.body.replace("{reference}", case.reference)
            .replace("{name}", case.customer_name or ""))
