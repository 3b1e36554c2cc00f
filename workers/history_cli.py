"""CLI equivalent of the console's merge (issue 13): ``complaints cases merge``.

The same service as the case page's merge form, taking ``--by USER`` for the audit
trail. A refusal (another customer, a case not open) prints the reason in English and
Chinese and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

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


def register(cases_app: typer.Typer) -> None:
    """Add the command to ``complaints cases``."""
    cases_app.command("merge")(merge)
