"""``complaints mailboxes``: see and check the configured mailboxes before running."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from config.departments import DepartmentsFileError, load_departments
from config.mailboxes import Mailbox, MailboxesFileError, check_departments, load_mailboxes
from config.settings import Settings, load_settings

mailboxes_app = typer.Typer(
    no_args_is_help=True, help="The mailboxes complaints come in by and are answered from."
)


def checked_mailboxes(settings: Settings) -> tuple[Mailbox, ...]:
    """The mailboxes, or a clear message (English and Chinese) and exit code 2.

    Every entry point that polls or answers mail calls this first, so a typo in the
    file stops the start, rather than a mailbox going unwatched or answered wrongly.
    """
    try:
        mailboxes = load_mailboxes(settings)
        known = {d.key for d in load_departments(settings)}
        check_departments(mailboxes, known, settings.mailboxes_file or "(settings)")
    except (MailboxesFileError, DepartmentsFileError) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    return mailboxes


def describe(mailbox: Mailbox) -> dict[str, Any]:
    """A mailbox as stable JSON, without its password."""
    imap = mailbox.imap
    return {
        "key": mailbox.key,
        "name": mailbox.name,
        "from_address": mailbox.from_address,
        "from_name": mailbox.from_name,
        "language": mailbox.language,
        "department": mailbox.department,
        "source": "imap" if imap is not None else "folder",
        "imap": None if imap is None else {
            "host": imap.host, "port": imap.port, "user": imap.user, "folder": imap.folder,
            "ssl": imap.ssl, "starttls": imap.starttls, "done_folder": imap.done_folder,
        },
        "folder": None if imap is not None else str(mailbox.inbox),
        "lease": mailbox.ledger_name,
    }


def source_line(mailbox: Mailbox) -> str:
    """Where a mailbox's mail comes from, in one line for the start-up banner."""
    if mailbox.imap is not None:
        imap = mailbox.imap
        where = f"IMAP {imap.host}:{imap.port}/{imap.folder}"
    else:
        where = f"mail folder {mailbox.inbox}/"
    return f"[{mailbox.key}] {where} -> {mailbox.from_address}"


@mailboxes_app.command("list")
def mailboxes_list(
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON output.")] = False,
) -> None:
    """List the configured mailboxes (the file, or the single-mailbox settings as 'default')."""
    mailboxes = checked_mailboxes(load_settings())
    if as_json:
        json.dump([describe(m) for m in mailboxes], sys.stdout, ensure_ascii=False, indent=2)
        typer.echo()
        return
    for mailbox in mailboxes:
        extra = "".join(
            f"  {label}={value}"
            for label, value in (("language", mailbox.language),
                                 ("department", mailbox.department))
            if value
        )
        typer.echo(f"{source_line(mailbox)}  {mailbox.from_name}{extra}")


@mailboxes_app.command("check")
def mailboxes_check() -> None:
    """Check the mailboxes file; exit code 2 with the reason when it cannot be used."""
    mailboxes = checked_mailboxes(load_settings())
    typer.echo(f"{len(mailboxes)} mailbox(es) OK / {len(mailboxes)} 个邮箱配置无误: "
               + ", ".join(m.key for m in mailboxes))
