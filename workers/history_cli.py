"""CLI equivalents of the console's queues and merge (issue 13).

``complaints cases queue`` prints a queue as the console shows it (department,
approvals, overdue). ``complaints cases merge`` is the same service as the case page's
merge form, taking ``--by USER`` for the audit trail; a refusal (another customer, a
case not open) prints the reason in English and Chinese and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

By = Annotated[str, typer.Option("--by", help="The staff user name recorded in the audit trail.")]
Into = Annotated[str, typer.Option("--into", help="Reference of the case that goes on.")]
AsJson = Annotated[bool, typer.Option("--json", help="Stable JSON output (see README).")]


def merge(reference: str, into: Into, by: By, as_json: AsJson = False) -> None:
    """Merge a duplicate case into another case of the same customer."""
    from pipeline.cases.merge import MergeError, merge_cases
    from pipeline.db.base import utcnow
    from workers.cli import _runtime, _settings

    runtime = _runtime(_settings())
    try:
        with runtime.factory() as session, session.begin():
            duplicate, target = (_case(session, ref) for ref in (reference, into))
            merged = merge_cases(session, duplicate=duplicate, target=target, by=by,
                                 now=utcnow())
    except MergeError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    if as_json:
        json.dump(merged.to_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    typer.echo(f"{merged.duplicate} merged into {merged.into}: {merged.correspondence} "
               f"message(s), {merged.mails} mail(s), {merged.attachments} file(s) moved.")


def _case(session, reference: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from pipeline.cases.merge import MergeError
    from pipeline.db.models import Case

    reference = reference.strip().upper()
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        raise MergeError(f"No case {reference}. / 没有投诉 {reference}。")
    return case


QUEUES = ("department", "approvals", "overdue")


def queue(
    name: Annotated[str, typer.Argument(help="department, approvals or overdue.")] = "department",
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    view: Annotated[str, typer.Option(help="open, mine, unassigned, waiting, overdue, all.")]
    = "open",
    user: Annotated[str, typer.Option("--user", help="Whose cases 'mine' means.")] = "",
    page: Annotated[int, typer.Option(help="Page number (50 cases a page).")] = 1,
    as_json: AsJson = False,
) -> None:
    """List a work queue in the console's order: overdue first, then by deadline."""
    from pipeline.cases.queues import (
        UnknownView,
        approvals_queue,
        department_queue,
        overdue_queue,
    )
    from pipeline.db.base import utcnow
    from workers.cli import _runtime, _settings

    if name not in QUEUES:
        typer.echo(f"Unknown queue '{name}' ({', '.join(QUEUES)}). / 未知的队列。", err=True)
        raise typer.Exit(2)
    runtime, now = _runtime(_settings()), utcnow()
    try:
        with runtime.factory() as session:
            found = (approvals_queue(session, now=now, page=page) if name == "approvals" else
                     overdue_queue(session, scope=department, now=now, page=page)
                     if name == "overdue" else
                     department_queue(session, scope=department, view=view, username=user,
                                      now=now, page=page))
            rows = [_queue_row(row) for row in found.rows]
    except UnknownView as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        typer.echo(f"{row['reference']}  {(row['deadline'] or '-')[:10]:10}"
                   f"{' OVERDUE' if row['overdue'] else '        '}  {row['status']:9}"
                   f"  {row['department'] or '-':11} {row['handler'] or '-':12} {row['subject']}")
    if not rows:
        typer.echo("No cases here. / 这里没有投诉。")


def _queue_row(row) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    case = row.case
    return {"reference": case.reference, "status": case.status,
            "department": case.department, "handler": case.handler,
            "deadline": row.due_at.isoformat() if row.due_at else None,
            "overdue": row.overdue, "received_at": case.received_at.isoformat(),
            "customer_name": case.customer_name, "subject": case.subject}


def register(cases_app: typer.Typer) -> None:
    """Add the commands to ``complaints cases``."""
    cases_app.command("merge")(merge)
    cases_app.command("queue")(queue)
