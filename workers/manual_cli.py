"""``complaints cases add``: record a complaint taken on the phone, at the counter or from
a letter not scanned, the same as the console's *New complaint* form.

The acknowledgment mail (when an email address is given) is sent at once; if that
fails, the sweep of the running poller sends it. A printed acknowledgment waits in
the print queue (``complaints letters queue``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from workers.identity_cli import AsJson, By, _runtime, _send

MAX_FILE = 200_000


def add(
    channel: Annotated[str, typer.Option("--channel", help="phone, visit, letter or other.")],
    name: Annotated[str, typer.Option("--name", help="The customer's name.")],
    text_file: Annotated[Path, typer.Option(
        "--text-file", help="The customer's words, as a UTF-8 text file ('-' reads stdin).",
        allow_dash=True)],
    by: By,
    phone: Annotated[str, typer.Option("--phone", help="The customer's phone number.")] = "",
    email: Annotated[str, typer.Option(
        "--email", help="The customer's email: the acknowledgment goes there.")] = "",
    address: Annotated[str, typer.Option(
        "--address", help="Postal address: without email, a printed acknowledgment.")] = "",
    language: Annotated[str, typer.Option(
        "--language", help="zh or en (default: read from the text).")] = "",
    as_json: AsJson = False,
) -> None:
    """Record a complaint taken by hand; prints the new case's reference."""
    from pipeline.cases.manual import ManualCaseError, ManualComplaint, open_manual_case
    from pipeline.cases.queries import case_detail

    complaint = ManualComplaint(channel=channel.strip().lower(), name=name.strip(),
                                text=_read_text(text_file), by=by.strip(), phone=phone.strip(),
                                email=email.strip(), address=address.strip(),
                                language=language.strip().lower())
    runtime = _runtime()
    try:
        with runtime.factory() as session, session.begin():
            opened = open_manual_case(session, complaint=complaint, settings=runtime.settings)
            reference, outbound_ids = opened.case.reference, opened.outbound_ids
    except ManualCaseError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    _send(runtime, outbound_ids)
    if as_json:
        with runtime.factory() as session:
            json.dump(case_detail(session, reference), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    typer.echo(reference)


def _read_text(path: Path) -> str:
    """The file's text; a file that is not UTF-8 text is refused in both languages."""
    try:
        data = sys.stdin.buffer.read(MAX_FILE + 1) if str(path) == "-" else path.read_bytes()
        if len(data) > MAX_FILE:
            raise UnicodeError
        return data.decode("utf-8-sig")
    except (OSError, UnicodeError) as err:
        typer.echo(f"Cannot read {path} as UTF-8 text (at most {MAX_FILE} bytes)."
                   f" 无法以 UTF-8 文本读取 {path}（最多 {MAX_FILE} 字节）。", err=True)
        raise typer.Exit(2) from err


def register(cases_app: typer.Typer) -> None:
    """Add ``complaints cases add``."""
    cases_app.command("add")(add)
