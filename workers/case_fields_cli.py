"""CLI equivalents of the case page's classification, routing and assignment (issue 13).

``complaints cases update|route|assign``: the same services as the console, each
taking ``--by USER`` and writing the audit trail. A refusal (a value that cannot be
right, routing without category or severity, an assignment the rules do not allow)
exits with code 2 and the reason in English and Chinese.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from workers.identity_cli import AsJson, By, _case, _runtime, _send

REFUSED = 2
"""Exit code when the process refuses the change; the message says why, in both languages."""


def _refuse(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(REFUSED)


def _pending_mail(session, case_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from pipeline.db.models import OutboundMail

    return list(session.scalars(select(OutboundMail.id).where(
        OutboundMail.case_id == case_id, OutboundMail.status == "pending")))


def cases_update(
    reference: str,
    by: By,
    category: Annotated[str | None, typer.Option(help="A category key of the triage file.")] = None,
    severity: Annotated[str | None, typer.Option(help="low, normal, high or critical.")] = None,
    product: Annotated[str | None, typer.Option(help="A catalogue key, name or alias, or text.")]
    = None,
    quantity: Annotated[int | None, typer.Option(help="How many items the complaint is about.")]
    = None,
    as_json: AsJson = False,
) -> None:
    """Set a case's category, severity, product and quantity (audited)."""
    from config.products import load_products
    from config.triage import load_triage
    from pipeline.review.classification import checked_classification
    from pipeline.review.corrections import CorrectionError, correct_fields

    wanted: dict[str, Any] = {name: value for name, value in (
        ("category", category), ("severity", severity), ("product", product),
        ("quantity", quantity)) if value is not None}
    if not wanted:
        raise _refuse("Nothing to change: give --category, --severity, --product or --quantity."
                      " / 没有要修改的内容。")
    runtime = _runtime()
    settings = runtime.settings
    try:
        with runtime.factory() as session, session.begin():
            case = _case(session, reference)
            changes = checked_classification(wanted, triage=load_triage(settings),
                                             products=load_products(settings))
            changed = correct_fields(session, case=case, changes=changes, by=by,
                                     region=settings.phone_region)
            now = {name: getattr(case, name) for name in wanted}
    except CorrectionError as err:
        raise _refuse(str(err)) from err
    if as_json:
        json.dump({"reference": reference.upper(), **now, "changed": sorted(changed)},
                  sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    shown = ", ".join(f"{name}={value}" for name, value in now.items())
    typer.echo(f"{reference.upper()}: {shown}" + ("" if changed else " (unchanged)"))


def cases_route(
    reference: str,
    by: By,
    department: Annotated[str, typer.Option(help="A department key of the departments file.")],
    handler: Annotated[str, typer.Option(help="A handler of that department, responsible.")]
    = "",
    responsibility: Annotated[str, typer.Option(help="ours or third_party.")] = "ours",
    third_party: Annotated[str, typer.Option(help="Who, for third_party (e.g. the carrier).")]
    = "",
    opinion: Annotated[str, typer.Option(help="Printed on the processing form.")] = "",
) -> None:
    """Route a reviewed case to a department; needs its category and severity first."""
    from config.departments import load_departments
    from config.policies import load_policies
    from pipeline.db.base import utcnow
    from pipeline.review.routing import RoutingDecision, RoutingError, route_case

    runtime = _runtime()
    settings = runtime.settings
    decision = RoutingDecision(department=department, responsibility=responsibility,
                               third_party=third_party, opinion=opinion, handler=handler)
    try:
        with runtime.factory() as session, session.begin():
            case = _case(session, reference)
            route_case(session, case=case, decision=decision, settings=settings,
                       departments=load_departments(settings), policies=load_policies(settings),
                       by=by, now=utcnow())
            ids = _pending_mail(session, case.id)
    except RoutingError as err:
        raise _refuse(str(err)) from err
    _send(runtime, ids)
    typer.echo(f"{reference.upper()} routed to {department}"
               + (f", {handler} responsible." if handler else "."))


def cases_assign(
    reference: str,
    by: By,
    handler: Annotated[str, typer.Option(help="A handler of the case's department.")],
) -> None:
    """Make a handler of the case's department responsible for it (audited)."""
    from sqlalchemy import select

    from pipeline.cases.responsible import AssignmentError, assign_handler, may_assign
    from pipeline.db.models import User

    runtime = _runtime()
    try:
        with runtime.factory() as session, session.begin():
            case = _case(session, reference)
            actor = session.scalar(select(User).where(User.username == by))
            if actor is None or not actor.active or not may_assign(actor, case, handler):
                raise AssignmentError(
                    f"'{by}' may not assign this case: a supervisor assigns, a handler of its "
                    "department may take it. / 只有主管可以指派；本部门的处理人员可以自己认领。")
            changed = assign_handler(session, case=case, handler=handler, by=by)
    except AssignmentError as err:
        raise _refuse(str(err)) from err
    typer.echo(f"{reference.upper()}: {handler} is responsible"
               + ("." if changed else " (unchanged)."))


def register(cases_app: typer.Typer) -> None:
    """Add the commands to ``complaints cases``."""
    cases_app.command("update")(cases_update)
    cases_app.command("route")(cases_route)
    cases_app.command("assign")(cases_assign)
