"""CLI equivalents of the console's identity actions (issue 11).

``complaints cases confirm-sender|split|adopt-address`` and ``complaints acks
held|release``: the same services as the console, each taking ``--by USER``.
Mail they queue is sent at once; if that fails, the sweep of the running poller
sends it.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

acks_app = typer.Typer(
    no_args_is_help=True,
    help="Acknowledgments held by the hourly budget (COMPLAINTS_ACK_LIMIT_PER_HOUR).",
)

By = Annotated[str, typer.Option("--by", help="The staff user name recorded in the audit trail.")]
LedgerId = Annotated[int, typer.Option("--ledger-id", help="The mail's ledger id (cases show).")]
AsJson = Annotated[bool, typer.Option("--json", help="Stable JSON output (see README).")]


def _runtime():  # type: ignore[no-untyped-def]
    from workers.cli import _runtime as build
    from workers.cli import _settings

    return build(_settings())


def _case(session, reference: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from pipeline.db.models import Case

    case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    if case is None:
        typer.echo(f"No case {reference}.", err=True)
        raise typer.Exit(1)
    return case


def _send(runtime, outbound_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    from pipeline.outbound.send import send_many

    if not outbound_ids:
        return
    transport = runtime.make_transport()
    try:
        send_many(runtime.factory, outbound_ids=outbound_ids, transport=transport,
                  settings=runtime.settings)
    except Exception as err:  # noqa: BLE001 - the sweep sends what is still pending
        typer.echo(f"Not sent now ({type(err).__name__}); the sweep will send it.", err=True)
    finally:
        transport.close()


def _review(action):  # type: ignore[no-untyped-def]
    """Run one sender-review action in a transaction; errors print and exit 1."""
    from pipeline.cases.sender_review import SenderReviewError
    from pipeline.outbound.ack_budget import ReleaseError

    runtime = _runtime()
    try:
        with runtime.factory() as session, session.begin():
            result = action(runtime, session)
    except (SenderReviewError, ReleaseError) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
    return runtime, result


def confirm_sender(reference: str, ledger_id: LedgerId, by: By) -> None:
    """The sender of an unverified mail is the customer: their address joins the case."""
    from pipeline.cases.sender_review import confirm_sender as confirm

    _, address = _review(lambda rt, s: confirm(s, case=_case(s, reference), ledger_id=ledger_id,
                                               by=by))
    typer.echo(f"{address} is now an address of the customer of {reference.upper()}."
               " The mail's content was not applied; record it with the usual actions.")


def split(reference: str, ledger_id: LedgerId, by: By, as_json: AsJson = False) -> None:
    """Treat an unverified mail as a new complaint: it opens a case of its own."""
    from pipeline.cases.sender_review import split_mail

    def action(rt, s):  # type: ignore[no-untyped-def]
        new_case, ids = split_mail(s, case=_case(s, reference), ledger_id=ledger_id, by=by,
                                   settings=rt.settings)
        return new_case.reference, ids

    runtime, (new_reference, ids) = _review(action)
    _send(runtime, ids)
    if as_json:
        json.dump({"case": reference.upper(), "ledger_id": ledger_id,
                   "new_case": new_reference}, sys.stdout)
        sys.stdout.write("\n")
        return
    typer.echo(f"Mail #{ledger_id} opened {new_reference}.")


def adopt_address(
    reference: str,
    address: Annotated[str, typer.Option("--address", help="A candidate shown by cases show.")],
    by: By,
) -> None:
    """Write to an address the customer's text named (a contact candidate)."""
    from pipeline.cases.sender_review import adopt_candidate

    _, adopted = _review(lambda rt, s: adopt_candidate(s, case=_case(s, reference),
                                                       address=address, by=by))
    typer.echo(f"{reference.upper()}: we now write to {adopted}.")


@acks_app.command("held")
def acks_held(as_json: AsJson = False) -> None:
    """List acknowledgments waiting because the hourly budget was used up."""
    from pipeline.outbound.ack_budget import held_mails

    runtime = _runtime()
    with runtime.factory() as session:
        rows = held_mails(session)
    if as_json:
        json.dump([r.to_json() for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        typer.echo(f"#{row.outbound_id:<6} {row.created_at[:19]}  {row.reference}  {row.kind}"
                   f"  {row.to_address}  {row.subject}")
    if not rows:
        typer.echo("No mail is held.")


@acks_app.command("release")
def acks_release(
    reference: str,
    by: By,
    outbound_id: Annotated[int | None, typer.Option("--outbound-id",
                                                    help="Only this held mail.")] = None,
) -> None:
    """Send a case's held acknowledgment now."""
    from pipeline.outbound.ack_budget import release_held

    runtime, ids = _review(lambda rt, s: release_held(s, case=_case(s, reference), by=by,
                                                      outbound_id=outbound_id))
    _send(runtime, ids)
    typer.echo(f"Released {len(ids)} mail(s) of {reference.upper()}.")


def register(app: typer.Typer, cases_app: typer.Typer) -> None:
    """Add the commands to ``complaints`` and ``complaints cases``."""
    cases_app.command("confirm-sender")(confirm_sender)
    cases_app.command("split")(split)
    cases_app.command("adopt-address")(adopt_address)
    app.add_typer(acks_app, name="acks")
