"""``complaints cases status-link REF``: the customer's status-page address, for staff.

Staff on the phone with a customer, or writing a letter by hand, can give the customer
the same personal link every letter carries. It changes nothing, so it takes no --by.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated

import typer

AsJson = Annotated[bool, typer.Option("--json", help="Stable JSON output (see README).")]


def register(cases_app: typer.Typer) -> None:
    """Add ``status-link`` to ``complaints cases``."""

    @cases_app.command("status-link")
    def status_link(reference: str, as_json: AsJson = False) -> None:
        """Print the customer's status-page link and until when it works."""
        from sqlalchemy import select

        from pipeline.db.base import utcnow
        from pipeline.db.models import Case
        from pipeline.links.status import link_alive, status_url
        from workers.cli import _runtime, _settings

        settings = _settings()
        runtime = _runtime(settings)
        with runtime.factory() as session:
            case = session.scalar(select(Case).where(
                Case.reference == reference.strip().upper()))
            if case is None:
                typer.echo(f"No case {reference}.", err=True)
                raise typer.Exit(1)
            days = settings.status_link_days_after_closing
            until = (case.closed_at + timedelta(days=days)).isoformat() if case.closed_at \
                else None
            row = {"reference": case.reference, "url": status_url(settings, case.id),
                   "works": link_alive(case.closed_at, now=utcnow(), days=days),
                   "works_until": until}
        if as_json:
            json.dump(row, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        typer.echo(row["url"])
        if not row["works"]:
            typer.echo(f"The case closed more than {days} days ago: the link shows nothing."
                       f" / 案件结案已超过 {days} 天，链接已失效。", err=True)
            raise typer.Exit(1)
        if until:
            typer.echo(f"Works until {until[:10]}. / 有效期至 {until[:10]}。")
