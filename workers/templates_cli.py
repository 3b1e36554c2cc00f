"""``complaints templates``: see, change and restore the wording of every letter.

The same rules as the console's Templates page: a text that does not render with
sample values is refused (exit code 2, the reason printed), and every change is a new
version, audited under ``--by``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings

templates_app = typer.Typer(
    no_args_is_help=True,
    help="The wording of every mail and letter: list, show, change (checked), restore.",
)


def _factory() -> sessionmaker[Session]:
    from config.settings import load_settings
    from pipeline.db.base import make_engine, make_session_factory
    from pipeline.db.migrate import upgrade

    url = load_settings().effective_database_url
    upgrade(url)
    return make_session_factory(make_engine(url))


def use_saved_templates(settings: Settings) -> None:
    """Render with the admins' template versions when there is a database to read.

    A preview must not create a database as a side effect, so an embedded SQLite file
    that does not exist yet means the shipped templates.
    """
    from pipeline.db.base import make_engine, make_session_factory

    url = settings.effective_database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return
    make_session_factory(make_engine(url))


@templates_app.command("list")
def templates_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every template: name, language, kind and the version in use (0: as shipped)."""
    from pipeline.wording.store import list_templates

    with _factory()() as session:
        rows = list_templates(session)
    if as_json:
        typer.echo(json.dumps([{
            "name": r.name, "language": r.language, "kind": r.kind, "version": r.version,
            "saved_by": r.saved_by, "saved_at": r.saved_at.isoformat() if r.saved_at else None,
        } for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        who = f"  v{r.version} by {r.saved_by}" if r.version else "  as shipped / 原始版本"
        typer.echo(f"{r.name:32} {r.language:6} {r.kind:10}{who}")


@templates_app.command("show")
def templates_show(
    name: str,
    version: Annotated[int | None, typer.Option("--version", help="An older version; 0 is the"
                                                " shipped text.")] = None,
) -> None:
    """Print the text of a template as it is used now (or one version of it)."""
    from pipeline.wording.store import TemplateCheckError, template_body

    try:
        with _factory()() as session:
            _, body = template_body(session, name, version)
    except TemplateCheckError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    typer.echo(body, nl=False)


@templates_app.command("set")
def templates_set(
    name: str,
    file: Annotated[Path, typer.Option("--file", help="The new text (UTF-8).")],
    by: Annotated[str, typer.Option("--by", help="Who changes it (audited).")],
) -> None:
    """Save a new version after rendering it with sample values; refused (exit 2) if it fails."""
    from pipeline.db.base import utcnow
    from pipeline.wording.store import TemplateCheckError, save_template

    body = file.read_text(encoding="utf-8")
    try:
        with _factory()() as session, session.begin():
            row = save_template(session, name=name, body=body, by=by, now=utcnow())
            version = row.version
    except TemplateCheckError as err:
        typer.echo(f"Not saved / 未保存: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"{name}: version {version} saved, in use from now on. / 已保存第 {version} 版。")


@templates_app.command("revert")
def templates_revert(
    name: str,
    version: Annotated[int, typer.Option("--version", help="The version to use again; 0 is the"
                                         " shipped text.")],
    by: Annotated[str, typer.Option("--by", help="Who restores it (audited).")],
) -> None:
    """Use an older version again (saved as the newest version)."""
    from pipeline.db.base import utcnow
    from pipeline.wording.store import TemplateCheckError, restore_version

    try:
        with _factory()() as session, session.begin():
            row = restore_version(session, name=name, version=version, by=by, now=utcnow())
            saved = row.version
    except TemplateCheckError as err:
        typer.echo(f"Not restored / 未恢复: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"{name}: version {version} restored as version {saved}. "
               f"/ 已恢复第 {version} 版（保存为第 {saved} 版）。")
