"""CLI equivalent of the console's "Send back to review" (issue 12).

``complaints cases unroute REF --reason TEXT --by USER``: the same service as the
console; ``--by`` must be an active intake, supervisor or admin account. The
department's notification is sent at once; if that fails, the sweep sends it.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from workers.identity_cli import AsJson, By, _case, _runtime, _send

Reason = Annotated[str, typer.Option("--reason", help="Why: the department reads it.")]


def unroute(reference: str, reason: Reason, by: By, as_json: AsJson = False) -> None:
    """Send a routed case back to review (its department is told by mail)."""
    from config.departments import load_departments
    from pipeline.db.base import utcnow
    from pipeline.review.unroute import UnrouteError, staff_may_unroute
    from pipeline.review.unroute import unroute as send_back

    runtime = _runtime()
    try:
        with runtime.factory() as session, session.begin():
            if not staff_may_unroute(session, by):
                typer.echo(f"'{by}' is not an active intake, supervisor or admin account. "
                           f"/ '{by}' 不是有效的受理、主管或管理员账号。", err=True)
                raise typer.Exit(1)
            case = _case(session, reference)
            department = case.department or ""
            ids = send_back(session, case=case, reason=reason, settings=runtime.settings,
                            departments=load_departments(runtime.settings), by=by, now=utcnow())
    except UnrouteError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
    _send(runtime, ids)
    if as_json:
        json.dump({"reference": reference.upper(), "status": "new",
                   "previous_department": department, "notified": bool(ids)}, sys.stdout)
        sys.stdout.write("\n")
        return
    typer.echo(f"{reference.upper()} is back in review; {department or 'no department'} was"
               f" {'told by mail' if ids else 'not mailed'}. / 已退回审核。")


def register(cases_app: typer.Typer) -> None:
    """Add the command to ``complaints cases``."""
    cases_app.command("unroute")(unroute)
