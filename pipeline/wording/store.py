"""The template versions admins save, and the rules for saving them.

A version is saved only after it renders with sample values (``letters.samples``),
so a typo can never stop the acknowledgments going out. Versions are never changed or
deleted: restoring an old one saves its text again as the newest, and version 0 is
the text shipped in ``letters/templates`` (restoring it undoes every override).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from letters.render import file_source, template_names
from letters.samples import TemplateCheckError, check_template, kind_of, language_of
from pipeline.db.models import TemplateVersion
from pipeline.staff.audit import record_staff_action

__all__ = ["TemplateCheckError", "TemplateInfo", "list_templates", "restore_version",
           "save_template", "template_body", "template_versions"]


@dataclass(frozen=True)
class TemplateInfo:
    """One template as the Templates page and ``templates list`` show it."""

    name: str
    language: str  # zh, en, or zh+en
    kind: str  # mail-text, mail-html, letter
    version: int  # 0: the shipped file
    saved_by: str
    saved_at: datetime | None


def _known(name: str) -> str:
    if name not in template_names():
        raise TemplateCheckError(f"No template is called '{name}'. / 没有名为“{name}”的模板。")
    return name


def list_templates(session: Session) -> list[TemplateInfo]:
    """Every template, with its latest saved version (0 when the shipped file is used)."""
    latest = (select(TemplateVersion.name, func.max(TemplateVersion.version).label("v"))
              .group_by(TemplateVersion.name).subquery())
    rows = {row.name: row for row in session.scalars(
        select(TemplateVersion).join(latest, (latest.c.name == TemplateVersion.name)
                                     & (latest.c.v == TemplateVersion.version)))}
    out = []
    for name in template_names():
        row = rows.get(name)
        out.append(TemplateInfo(name=name, language=language_of(name), kind=kind_of(name),
                                version=row.version if row else 0,
                                saved_by=row.saved_by if row else "",
                                saved_at=row.saved_at if row else None))
    return out


def template_versions(session: Session, name: str) -> list[TemplateVersion]:
    """Every saved version of ``name``, newest first."""
    return list(session.scalars(select(TemplateVersion).where(
        TemplateVersion.name == _known(name)).order_by(TemplateVersion.version.desc())))


def template_body(session: Session, name: str, version: int | None = None) -> tuple[int, str]:
    """The text in use (``version`` None) or of one version; 0 is the shipped file."""
    _known(name)
    if version is None:
        version = session.scalar(select(func.max(TemplateVersion.version))
                                 .where(TemplateVersion.name == name)) or 0
    if version == 0:
        return 0, file_source(name)
    body = session.scalar(select(TemplateVersion.body).where(
        TemplateVersion.name == name, TemplateVersion.version == version))
    if body is None:
        raise TemplateCheckError(f"'{name}' has no version {version}. "
                                 f"/ “{name}”没有第 {version} 版。")
    return version, body


def save_template(session: Session, *, name: str, body: str, by: str, now: datetime,
                  note: str = "") -> TemplateVersion:
    """Check the text and save it as the newest version; raises TemplateCheckError."""
    body = body.replace("\r\n", "\n")
    check_template(_known(name), body)
    latest = session.scalar(select(func.max(TemplateVersion.version))
                            .where(TemplateVersion.name == name)) or 0
    # Two admins saving at once: the unique (name, version) refuses the second.
    row = TemplateVersion(name=name, version=latest + 1, body=body, saved_by=by[:100],
                          saved_at=now, note=note[:200])
    session.add(row)
    session.flush()
    record_staff_action(session, actor=by, action="template_saved", target=name,
                        version=row.version, note=note[:200])
    return row


def restore_version(session: Session, *, name: str, version: int, by: str,
                    now: datetime) -> TemplateVersion:
    """Save an older version's text (0: the shipped file) again as the newest."""
    _, body = template_body(session, name, version)
    return save_template(session, name=name, body=body, by=by, now=now,
                         note=f"restored version {version}")
