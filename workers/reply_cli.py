"""CLI equivalents of the case page's reply and the admins' reply templates (issue 12).

``complaints cases reply REF --text-file F [--attach FILE]... --by USER`` writes to the
customer through the same service as the console and prints where the reply went (the
customer's address, or the print queue); ``complaints reply-templates list|add|edit|delete``
keeps the reply templates. ``--by`` must name an active console account allowed to do
it, as in the console.
"""

from __future__ import annotations

import json
import mimetypes
import sys
from pathlib import Path
from typing import Annotated

import typer

templates_app = typer.Typer(no_args_is_help=True,
                            help="Reply templates staff start a reply from (zh and en).")

By = Annotated[str, typer.Option("--by", help="The staff user name (an active account).")]
AsJson = Annotated[bool, typer.Option("--json", help="Stable JSON output (see README).")]


def _runtime():  # type: ignore[no-untyped-def]
    from workers.cli import _runtime as build
    from workers.cli import _settings

    return build(_settings())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _staff(session, username: str, *, admin: bool = False):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from pipeline.db.models import User

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise _fail(f"No active console account '{username}'. / 没有该启用的账号。")
    if admin and user.role != "admin":
        raise _fail("Only an admin may change reply templates. / 只有管理员可以修改回复模板。")
    return user


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise _fail(f"Cannot read {path}: {err.strerror}. / 无法读取文件。") from err


def reply(
    reference: str,
    text_file: Annotated[Path, typer.Option("--text-file", help="The reply, UTF-8 text.")],
    by: By,
    attach: Annotated[list[Path] | None, typer.Option(
        "--attach", help="A file to send with it (repeat for more).")] = None,
    as_json: AsJson = False,
) -> None:
    """Write to the case's customer: by email when it works, else into the print queue."""
    from pipeline.conversation.staff_reply import ReplyError, ReplyFile, send_staff_reply
    from workers.identity_cli import _case, _send

    try:
        text = _read(text_file).decode("utf-8")
    except UnicodeDecodeError as err:
        raise _fail("The text file is not UTF-8. / 文本文件不是 UTF-8 编码。") from err
    files = [ReplyFile(path.name, mimetypes.guess_type(path.name)[0] or "", _read(path))
             for path in attach or []]
    runtime = _runtime()
    try:
        with runtime.factory() as session, session.begin():
            sent = send_staff_reply(session, case=_case(session, reference), text=text,
                                    files=files, by=_staff(session, by),
                                    settings=runtime.settings)
    except ReplyError as err:
        raise _fail(str(err)) from err
    if sent.outbound_id is not None:
        _send(runtime, [sent.outbound_id])
    if as_json:
        json.dump(sent.to_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    elif sent.channel == "email":
        typer.echo(f"{sent.reference}: reply sent by email to {sent.to}."
                   f" / 答复已发送至 {sent.to}。")
    else:
        typer.echo(f"{sent.reference}: reply is in the print queue (letter #{sent.letter_id}). "
                   "/ 答复已进入打印队列。")


@templates_app.command("list")
def templates_list(as_json: AsJson = False) -> None:
    """Every reply template, by language and name."""
    from pipeline.conversation.reply_templates import list_templates

    runtime = _runtime()
    with runtime.factory() as session:
        rows = [{"id": t.id, "name": t.name, "language": t.language, "body": t.body,
                 "updated_by": t.updated_by, "updated_at": t.updated_at.isoformat()}
                for t in list_templates(session)]
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        typer.echo(f"#{row['id']:<4} {row['language']}  {row['name']}")
    if not rows:
        typer.echo("No reply templates. / 没有回复模板。")


def _save(action) -> int:  # type: ignore[no-untyped-def]
    from pipeline.conversation.reply_templates import TemplateError

    runtime = _runtime()
    try:
        with runtime.factory() as session, session.begin():
            return int(action(session))
    except TemplateError as err:
        raise _fail(str(err)) from err


Name = Annotated[str, typer.Option("--name", help="What staff pick it by.")]
Language = Annotated[str, typer.Option("--language", help="zh or en.")]
BodyFile = Annotated[Path, typer.Option("--text-file", help="The template's text, UTF-8.")]


@templates_app.command("add")
def templates_add(name: Name, language: Language, text_file: BodyFile, by: By) -> None:
    """Add a reply template (admins only)."""
    from pipeline.conversation.reply_templates import add_template

    body = _read(text_file).decode("utf-8", errors="replace")
    new_id = _save(lambda s: add_template(s, name=name, language=language, body=body,
                                          by=_staff(s, by, admin=True).username).id)
    typer.echo(f"Reply template #{new_id} added. / 已添加回复模板。")


@templates_app.command("edit")
def templates_edit(template_id: int, name: Name, language: Language, text_file: BodyFile,
                   by: By) -> None:
    """Change a reply template (admins only)."""
    from pipeline.conversation.reply_templates import edit_template

    body = _read(text_file).decode("utf-8", errors="replace")
    _save(lambda s: edit_template(s, template_id=template_id, name=name, language=language,
                                  body=body, by=_staff(s, by, admin=True).username).id)
    typer.echo(f"Reply template #{template_id} saved. / 已保存回复模板。")


@templates_app.command("delete")
def templates_delete(template_id: int, by: By) -> None:
    """Delete a reply template (admins only)."""
    from pipeline.conversation.reply_templates import delete_template

    def action(session) -> int:  # type: ignore[no-untyped-def]
        delete_template(session, template_id=template_id, by=_staff(session, by, admin=True)
                        .username)
        return template_id

    _save(action)
    typer.echo(f"Reply template #{template_id} deleted. / 已删除回复模板。")


def register(app: typer.Typer, cases_app: typer.Typer) -> None:
    """Add ``cases reply`` and ``reply-templates`` to ``complaints``."""
    cases_app.command("reply")(reply)
    app.add_typer(templates_app, name="reply-templates")
