"""The ``complaints`` command: the composition root for every process."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from config.logging_setup import setup_logging
from config.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="Run the complaint mailbox: intake, cases, letters.")
cases_app = typer.Typer(no_args_is_help=True, help="Look at cases and quarantined mail.")
app.add_typer(cases_app, name="cases")
mail_app = typer.Typer(no_args_is_help=True, help="Look at every mail taken in (the ledger).")
app.add_typer(mail_app, name="mail")
users_app = typer.Typer(no_args_is_help=True, help="Staff accounts for the web console.")
app.add_typer(users_app, name="users")
customers_app = typer.Typer(
    no_args_is_help=True, help="A customer's personal data: export it, erase it."
)
app.add_typer(customers_app, name="customers")
letters_app = typer.Typer(
    no_args_is_help=True, help="Scanned letters in, printed letters out (print queue, preview)."
)
app.add_typer(letters_app, name="letters")
from workers.mailbox_cli import checked_mailboxes, mailboxes_app, source_line  # noqa: E402

app.add_typer(mailboxes_app, name="mailboxes")
from workers.templates_cli import templates_app  # noqa: E402

app.add_typer(templates_app, name="templates")


def _settings() -> Settings:
    settings = load_settings()
    setup_logging(settings.log_level)
    return settings


def _runtime(settings: Settings):  # type: ignore[no-untyped-def]
    from workers.app import build_runtime

    return build_runtime(settings)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from pipeline.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url)
    typer.echo("Database is up to date.")


@app.command()
def run() -> None:
    """Run poller, workers, sweep and scheduler in one process (embedded defaults: no services)."""
    settings = _settings()
    runtime = _runtime(settings)
    note = _start_console(runtime, demo=False)
    _serve(settings, poll=True, work=True, schedule=True, runtime=runtime, note=note)


@app.command()
def demo() -> None:
    """Seed the demo mailbox with complaints in Chinese and English, then run."""
    from workers.demo import reply_with_phone_later, seed_desk_complaints, seed_inbox

    settings = _settings()
    runtime = _runtime(settings)
    if settings.uses_imap:
        typer.echo("The demo seeds the local mail folder; unset COMPLAINTS_IMAP_HOST to use it.")
        raise typer.Exit(2)
    seeded = seed_inbox(settings.inbox_dir)
    typer.echo(f"Seeded {len(seeded)} demo mails into {settings.inbox_dir}/")
    from workers.demo_letters import seed_demo_scans

    seed_demo_scans(settings, typer.echo)
    if recorded := seed_desk_complaints(runtime.factory, settings):
        typer.echo(f"Recorded {recorded} complaints taken on the phone and at the counter.")
    stop = threading.Event()
    reply_with_phone_later(runtime.factory, settings.inbox_dir, stop)
    note = _start_console(runtime, demo=True)
    _serve(settings, poll=True, work=True, schedule=True, runtime=runtime, stop=stop, note=note)


@app.command()
def scheduler() -> None:
    """Nudge timed work (reminders, escalations, surveys); run one or more, one is active."""
    _serve(_settings(), poll=False, work=False, schedule=True)


@app.command()
def poll(
    mailbox: Annotated[
        str, typer.Option(help="Watch only the mailbox with this key (default: every one).")
    ] = "",
) -> None:
    """Watch every mailbox (IMAP or local folder), one thread each, and sweep; no processing."""
    settings = _settings()
    if mailbox and mailbox not in {m.key for m in checked_mailboxes(settings)}:
        typer.echo(f"No mailbox has the key '{mailbox}'. / 没有键为“{mailbox}”的邮箱。", err=True)
        raise typer.Exit(2)
    _serve(settings, poll=True, work=False, mailbox=mailbox or None)


@app.command()
def worker(
    queues: Annotated[
        str,
        typer.Option(help="Comma-separated queues: intake, outbox, ocr (default: all of them)."),
    ] = "",
) -> None:
    """Process queued work (needs COMPLAINTS_REDIS_URL to share a queue with a poller)."""
    settings = _settings()
    if not settings.redis_url:
        typer.echo(
            "Warning: no COMPLAINTS_REDIS_URL, so this worker only sees its own queue.", err=True
        )
    chosen = {q.strip() for q in queues.split(",") if q.strip()} or None
    _serve(settings, poll=False, work=True, queues=chosen)


@app.command("ocr-worker")
def ocr_worker() -> None:
    """Read scanned letters (OCR queue only); run one or more beside the mail workers."""
    settings = _settings()
    if not settings.redis_url:
        typer.echo("Warning: no COMPLAINTS_REDIS_URL, so this worker sees no letters.", err=True)
    _serve(settings, poll=False, work=True, queues={"ocr"})


def _serve(  # type: ignore[no-untyped-def]
    settings: Settings, *, poll: bool, work: bool, schedule: bool = False, runtime=None, stop=None,
    note: str = "", queues=None, mailbox=None,
) -> None:
    from workers.heap import settle_after_start_up
    from workers.service import import_parts, serve

    checked_mailboxes(settings)  # pollers watch them, workers answer from them
    runtime = runtime or _runtime(settings)
    import_parts(work=work, schedule=schedule)
    settle_after_start_up()  # what start-up built, before any work: none of it is frozen

    def ready() -> None:
        typer.echo(_banner(settings, poll=poll, work=work, schedule=schedule))
        if note:
            typer.echo(note)

    serve(runtime, poll=poll, work=work, schedule=schedule, stop=stop, on_ready=ready,
          queues=queues, mailbox=mailbox)


def _banner(settings: Settings, *, poll: bool, work: bool, schedule: bool = False) -> str:
    source = "; ".join(source_line(m) for m in checked_mailboxes(settings))
    if not settings.mailboxes_file and not settings.uses_imap:
        source = f"mail folder {settings.inbox_dir}/ (drop .eml files here)"
    sink = (
        f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        if settings.uses_smtp
        else f"outbox folder {settings.outbox_dir}/"
    )
    parts = [p for p, on in (("poller", poll), ("workers", work), ("scheduler", schedule)) if on]
    return (
        f"Running {' + '.join(parts)}. Mail in: {source}. Mail out: {sink}.\n"
        f"Database: {_safe_url(settings.effective_database_url)}. "
        f"Queue: {'Redis' if settings.redis_url else 'in-process'}.\n"
        f"Scanned letters in: {settings.scans_dir}/ (drop PDF/JPEG/PNG/TIFF files here).\n"
        "See cases with `complaints cases list`, letters to print with "
        "`complaints letters queue`. Stop with Ctrl-C."
    )


def _safe_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    mailbox: Annotated[
        str, typer.Option(help="Take them in as if sent to this mailbox (key).")
    ] = "",
) -> None:
    """Take .eml files in as if they had arrived by mail, process them now, print the outcome."""
    from workers.inline import ingest_file

    settings = _settings()
    keys = [m.key for m in checked_mailboxes(settings)]
    if mailbox and mailbox not in keys:
        typer.echo(f"No mailbox has the key '{mailbox}'. / 没有键为“{mailbox}”的邮箱。", err=True)
        raise typer.Exit(2)
    runtime = _runtime(settings)
    failures = 0
    for path in files:
        try:
            result = ingest_file(runtime, path, mailbox=mailbox or keys[0])
        except Exception as err:  # noqa: BLE001 - report and go on with the other files
            failures += 1
            typer.echo(f"{path}: not taken in ({type(err).__name__}: {err})", err=True)
            continue
        typer.echo(f"{path}: {_describe(runtime, result)}")
    raise typer.Exit(1 if failures else 0)


def _describe(runtime, result) -> str:  # type: ignore[no-untyped-def]
    from pipeline.db.models import Case, InboundMail

    with runtime.factory() as session:
        inbound = session.get(InboundMail, result.inbound_id)
        case = session.get(Case, inbound.case_id) if inbound.case_id else None
    if not result.is_new and result.outcome is None:
        return f"already in the ledger as mail #{inbound.id} ({inbound.status})"
    if inbound.status == "quarantined":
        return f"quarantined: {inbound.quarantine_reason}"
    label = inbound.classification
    return f"{label} -> case {case.reference}" if case else f"{label} (no case)"


@cases_app.command("list")
def cases_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="Stable JSON output (see README).")
    ] = False,
    status: Annotated[str | None, typer.Option(help="Only cases with this status.")] = None,
    quarantined: Annotated[
        bool, typer.Option(help="List what is kept without a case: mail and unreadable scans.")
    ] = False,
    limit: int = 200,
) -> None:
    """List cases oldest first, or quarantined mail."""
    from pipeline.cases.queries import list_cases, list_quarantined

    runtime = _runtime(_settings())
    with runtime.factory() as session:
        rows = (
            list_quarantined(session, limit=limit)
            if quarantined
            else list_cases(session, status=status, limit=limit,
                            time_zone=runtime.settings.time_zone)
        )
    if as_json:
        json.dump([r.to_json() for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        typer.echo(_line(row.to_json(), quarantined))
    if not rows:
        typer.echo("Nothing in quarantine." if quarantined else "No cases.")


def _line(row: dict, quarantined: bool) -> str:  # type: ignore[type-arg]
    if quarantined:
        what = f"scan #{row['scan_id']}" if row["kind"] == "scan" else f"#{row['ledger_id']}"
        return (
            f"{what:<11} {row['received_at'][:19]}  "
            f"{row['from_address'] or row['source']}  {row['quarantine_reason']}"
        )
    return (
        f"{row['reference']}  {row['status']:<8} {row['channel']:<6} {row['language']}  "
        f"{row['customer_name'] or '-'} <{row['customer_email']}> "
        f"{row['customer_phone'] or 'no phone'}  "
        f"ack:{row['acknowledgment']}  {row['subject']}"
    )


@cases_app.command("show")
def cases_show(
    reference: str,
    as_json: Annotated[
        bool, typer.Option("--json", help="Stable JSON output (see README).")
    ] = False,
    language: Annotated[
        str, typer.Option("--lang", help="Language of the audit trail: en or zh.")
    ] = "en",
) -> None:
    """Show one case with its correspondence and audit trail."""
    from pipeline.cases.queries import case_detail

    runtime = _runtime(_settings())
    with runtime.factory() as session:
        detail = case_detail(session, reference.strip().upper(),
                             time_zone=runtime.settings.time_zone)
    if detail is None:
        typer.echo(f"No case {reference}.", err=True)
        raise typer.Exit(1)
    if as_json:
        json.dump(detail, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for key, value in detail.items():
        if key not in ("correspondence", "events"):
            typer.echo(f"{key:>20}: {value}")
    typer.echo("\nCorrespondence:")
    for item in detail["correspondence"]:
        flag = "" if item["verified"] else (
            f" [UNVERIFIED from {item['from_address']}, ledger #{item['ledger_id']}]")
        typer.echo(f"  {item['at'][:19]} {item['direction']:>3} {item['kind']}{flag}:"
                   f" {item['subject']}")
    typer.echo("\nAudit trail:")
    for line in _audit_lines(detail["events"], runtime.settings, language):
        typer.echo(f"  {line}")


def _audit_lines(events: list[dict[str, Any]], settings: Settings, language: str) -> list[str]:
    """The audit trail as sentences (the console's wording); ``--json`` keeps the raw data."""
    from config.departments import load_departments
    from config.triage import load_triage
    from console.audit import Vocabulary, audit_sentence

    words = Vocabulary(language=language, actors={}, departments=load_departments(settings),
                       time_zone=settings.time_zone, categories=load_triage(settings).categories)
    return [f"{e['at'][:19]} "
            + audit_sentence(e["action"], e["detail"], actor=e["by"], words=words)
            for e in events]


@mail_app.command("list")
def mail_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="Stable JSON output (see README).")
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="complaint, reply, auto-reply, automatic, bounce, duplicate…"),
    ] = None,
    limit: int = 200,
) -> None:
    """List mail taken in, newest first; e.g. --kind automatic shows mail that got no case."""
    from pipeline.cases.queries import list_ledger

    runtime = _runtime(_settings())
    with runtime.factory() as session:
        rows = list_ledger(session, classification=kind, limit=limit)
    if as_json:
        json.dump([r.to_json() for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        typer.echo(
            f"#{row.ledger_id:<6} {row.received_at[:19]}  {row.classification or row.status:<11}"
            f" {row.case_reference or '-':<15} {row.from_address}  {row.subject}  {row.detail}"
        )
    if not rows:
        typer.echo("No mail.")


@app.command()
def sweep() -> None:
    """Re-send unfinished work once (the running poller does this every few seconds)."""
    from workers.sweeper import sweep_once

    runtime = _runtime(_settings())
    inbound, outbound = sweep_once(runtime)
    typer.echo(f"Re-sent {inbound} mails for processing and {outbound} for sending.")


@app.command()
def report(
    period: Annotated[str, typer.Option(help="2026-11 (month), 2026-Q4 (quarter) or 2026 (year)")],
    fmt: Annotated[str, typer.Option("--format", help="pdf, xlsx or csv")] = "pdf",
    out: Annotated[Path | None, typer.Option(help="file to write (default: report-PERIOD.FMT)")]
    = None,
) -> None:
    """Write the complaint statistics (客户投诉统计表) for a month, quarter or year."""
    from pipeline.reports.build import ReportError, build_report
    from pipeline.reports.periods import PeriodError, parse_period

    settings = _settings()
    try:
        chosen = parse_period(period, settings.time_zone)
        target = out or Path(f"report-{chosen.label}.{fmt}")
        runtime = _runtime(settings)
        with runtime.factory() as session, session.begin():  # keeps any days it recounted
            count = build_report(session, settings=settings, period=chosen, fmt=fmt, out=target)
    except (PeriodError, ReportError) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    typer.echo(f"Wrote {target} ({count} complaints in {chosen.label}).")


def _start_console(runtime, *, demo: bool) -> str:  # type: ignore[no-untyped-def]
    """Serve the staff console beside the workers; returns what to tell the operator."""
    from config.departments import load_departments
    from console.first_run import create_demo_users
    from console.server import console_address, make_server, start_in_thread

    settings = runtime.settings
    server = make_server(settings, factory=runtime.factory,
                         send_outbound=runtime.enqueue_outbound_ids,
                         make_transport=runtime.make_transport)
    start_in_thread(server)
    lines = [f"Staff console: {console_address(settings)}"]
    created = create_demo_users(runtime.factory, load_departments(settings)) if demo else None
    if created is not None:
        names, password = created
        lines.append(f"First login: user 'admin', password '{password}' "
                     f"(also {', '.join(n for n in names if n != 'admin')}, same password; "
                     "shown only now).")
    elif not _has_users(runtime):
        lines.append("No staff accounts yet: create one with "
                     "`complaints users add NAME --role admin`, then sign in.")
    return "\n".join(lines)


def _has_users(runtime) -> bool:  # type: ignore[no-untyped-def]
    from pipeline.staff.users import has_users

    with runtime.factory() as session:
        return has_users(session)


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the staff console (review, correct, route) until Ctrl-C."""
    from console.server import console_address, make_server

    settings = _settings()
    runtime = _runtime(settings)  # migrates; its outbox queue takes the console's mail
    server = make_server(settings, host=host, port=port, factory=runtime.factory,
                         send_outbound=runtime.enqueue_outbound_ids,
                         make_transport=runtime.make_transport)
    typer.echo(f"Staff console: {console_address(settings, host, port)} (Ctrl-C stops it)")
    server.run()


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="intake, handler, supervisor or admin.")],
    department: Annotated[
        str | None, typer.Option(help="Department key (handlers only).")
    ] = None,
    language: Annotated[str, typer.Option(help="Interface language: zh or en.")] = "zh",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account for the console (asks for the password)."""
    from config.departments import load_departments
    from pipeline.staff.audit import record_staff_action
    from pipeline.staff.users import NewUser, UserError, add_user

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = _runtime(settings)
    keys = {d.key for d in load_departments(settings)}
    new = NewUser(username=username.strip().lower(), password=password, role=role,
                  display_name=name, department=department, language=language)
    try:
        with runtime.factory() as session, session.begin():
            add_user(session, new, department_keys=keys)
            record_staff_action(session, actor="cli", action="user_added", target=new.username,
                                role=role, department=department or "")
    except UserError as err:
        typer.echo(f"Not created: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"Created {new.username} ({role}). Sign in at {settings.public_url}")


@users_app.command("list")
def users_list() -> None:
    """List the staff accounts."""
    from pipeline.staff.users import list_users

    runtime = _runtime(_settings())
    with runtime.factory() as session:
        rows = list_users(session)
    for user in rows:
        typer.echo(f"{user.username:<20} {user.role:<10} {user.department or '-':<12} "
                   f"{user.language}  {'active' if user.active else 'disabled'}  "
                   f"{user.display_name}")
    if not rows:
        typer.echo("No staff accounts. Create one with `complaints users add NAME --role admin`.")
def _account_change(username: str, change) -> None:  # type: ignore[no-untyped-def]
    """Run one change on an account in a transaction; a refused change exits with 2."""
    from config.departments import load_departments
    from pipeline.staff.accounts import find_user
    from pipeline.staff.users import UserError

    settings = _settings()
    runtime = _runtime(settings)
    keys = {d.key for d in load_departments(settings)}
    try:
        with runtime.factory() as session, session.begin():
            message = change(session, find_user(session, username), settings, runtime, keys)
    except UserError as err:
        typer.echo(f"Not changed: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(message)


@users_app.command("passwd")
def users_passwd(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input.")
    ] = False,
) -> None:
    """Set a user's password (asks twice); signs the user out everywhere."""
    from pipeline.staff.accounts import set_new_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    def change(session, user, *_) -> str:  # type: ignore[no-untyped-def]
        set_new_password(session, user, password, by="cli")
        return f"Password of {user.username} set; their sessions ended."

    _account_change(username, change)


@users_app.command("reset")
def users_reset(
    username: str,
    by: Annotated[str, typer.Option("--by", help="The admin doing it (audited).")] = "cli",
    link: Annotated[
        bool, typer.Option("--link/--temporary",
                           help="Mail a one-time link (the user needs a mail address), or "
                                "print a temporary password to change at first sign-in.")
    ] = False,
) -> None:
    """Reset a forgotten password: a mailed one-time link or a temporary password."""
    from pipeline.db.base import utcnow
    from pipeline.staff.accounts import create_reset_link, reset_to_temporary
    from pipeline.staff.reset_mail import send_reset_link

    def change(session, user, settings, runtime, _keys) -> str:  # type: ignore[no-untyped-def]
        if not link:
            temporary = reset_to_temporary(session, user, by=by)
            return (f"Temporary password for {user.username}: {temporary}\n"
                    "They must choose a new one when they sign in.")
        token = create_reset_link(session, user, by=by, now=utcnow())
        transport = runtime.make_transport()
        try:
            send_reset_link(transport, settings=settings, user=user, token=token)
        finally:
            transport.close()
        return f"A one-time reset link was mailed to {user.email}."

    _account_change(username, change)


@users_app.command("disable")
def users_disable(
    username: str,
    by: Annotated[str, typer.Option("--by", help="The admin doing it (audited).")],
) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at once."""
    from pipeline.staff.accounts import disable

    def change(session, user, *_) -> str:  # type: ignore[no-untyped-def]
        disable(session, user, by=by)
        return f"{user.username} is disabled; their sessions ended."

    _account_change(username, change)


@users_app.command("enable")
def users_enable(
    username: str,
    by: Annotated[str, typer.Option("--by", help="The admin doing it (audited).")],
) -> None:
    """Enable a disabled account again."""
    from pipeline.staff.accounts import enable

    def change(session, user, *_) -> str:  # type: ignore[no-untyped-def]
        enable(session, user, by=by)
        return f"{user.username} is enabled."

    _account_change(username, change)


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[str, typer.Option(help="intake, handler, supervisor or admin.")],
    by: Annotated[str, typer.Option("--by", help="The admin doing it (audited).")],
    department: Annotated[
        str | None, typer.Option(help="Department key (handlers only).")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Mail address for reset links.")
    ] = None,
) -> None:
    """Change a user's role and department (and mail address)."""
    from pipeline.staff.accounts import set_email, set_role

    def change(session, user, _settings, _runtime, keys) -> str:  # type: ignore[no-untyped-def]
        set_role(session, user, role=role, department=department, by=by, department_keys=keys)
        if email is not None:
            set_email(session, user, email, by=by)
        return f"{user.username} is now {user.role}" + (
            f" ({user.department})." if user.department else ".")

    _account_change(username, change)


@customers_app.command("export")
def customers_export(
    out: Annotated[Path, typer.Option("--out", help="Directory to write into (created).")],
    email: Annotated[str | None, typer.Option(help="The customer's mail address.")] = None,
    phone: Annotated[str | None, typer.Option(help="The customer's phone number.")] = None,
    by: Annotated[str, typer.Option("--by", help="Who asks (audited).")] = "cli",
) -> None:
    """Write everything held about a customer: data.json plus the original files."""
    from pipeline.privacy.export import write_directory
    from pipeline.privacy.holdings import Person, PersonError
    from pipeline.privacy.requests import export_person

    settings = _settings()
    try:
        person = Person.named(email, phone)
    except PersonError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    export = export_person(_runtime(settings).factory, settings=settings, person=person, by=by)
    if export is None:
        typer.echo("We hold nothing about this customer. / 没有该客户的信息。")
        return
    count = write_directory(export, out)
    typer.echo(f"Wrote {count} files ({len(export.data['cases'])} cases) into {out}/")


@customers_app.command("erase")
def customers_erase(
    reason: Annotated[str, typer.Option(help="Why (recorded; no personal data here).")],
    by: Annotated[str, typer.Option("--by", help="Who erases (audited).")],
    email: Annotated[str | None, typer.Option(help="The customer's mail address.")] = None,
    phone: Annotated[str | None, typer.Option(help="The customer's phone number.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data; references and statistics stay."""
    from pipeline.privacy.holdings import Person, PersonError
    from pipeline.privacy.requests import erase_person, holdings_of

    settings = _settings()
    try:
        person = Person.named(email, phone)
    except PersonError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    runtime = _runtime(settings)
    holdings, references = holdings_of(runtime.factory, person)
    if holdings.empty:
        typer.echo("Nothing to erase: we hold nothing about this customer. / 没有需要删除的信息。")
        return
    typer.echo(f"{len(references)} case(s): {', '.join(references) or '-'}; "
               f"{len(holdings.inbound_ids)} mail(s), {len(holdings.attachment_ids)} file(s).")
    if not yes and not typer.confirm("Erase their personal data for good? / 确认永久删除？"):
        raise typer.Exit(1)
    erased = erase_person(runtime.factory, settings=settings, person=person, reason=reason, by=by)
    typer.echo(f"Erased: {len(erased.references)} case(s), {erased.mails} mail(s), "
               f"{erased.attachments} attachment(s), {erased.files_deleted} file(s) deleted.")


@letters_app.command("queue")
def letters_queue(
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON output.")] = False,
) -> None:
    """List printed letters waiting to be printed and posted."""
    from pipeline.outbound.printing import waiting_letters

    runtime = _runtime(_settings())
    with runtime.factory() as session:
        rows = waiting_letters(session)
    if as_json:
        json.dump([r.to_json() for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        to = row.recipient.replace("\n", ", ")
        typer.echo(f"#{row.id:<5} {row.case_reference}  {row.kind:<15} {row.language}  {to}")
    typer.echo(f"{len(rows)} letter(s) waiting to be printed. / {len(rows)} 封信件待打印。")


@letters_app.command("print-batch")
def letters_print_batch(
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the PDF.")] = None,
) -> None:
    """Write all waiting letters into one PDF to print, and mark them printed."""
    from pipeline.db.base import utcnow
    from pipeline.outbound.printing import print_batch

    settings = _settings()
    runtime = _runtime(settings)
    target = out or settings.data_dir / "print" / f"letters-{utcnow():%Y%m%d-%H%M%S}.pdf"
    result = print_batch(runtime.factory, out_path=target)
    if result.batch_id is None:
        typer.echo("No letters waiting to be printed. / 没有待打印的信件。")
        return
    typer.echo(
        f"Batch #{result.batch_id}: {result.letters} letter(s) in {result.out_path}"
        f" / 第 {result.batch_id} 批：{result.letters} 封信件"
    )


@letters_app.command("preview")
def letters_preview(
    kind: Annotated[str, typer.Argument(
        help="acknowledgment, deadline, moved-deadline, not-ours, resolution-notice,"
             " processing-form, survey, statistics-report.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="PDF file to write (default: preview-KIND-LANG.pdf here).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
) -> None:
    """Render a letter, form or report with sample data, to check its layout."""
    from letters.pdf.fonts import FontSource
    from letters.pdf.previews import PREVIEWS
    from workers.templates_cli import use_saved_templates

    settings = _settings()
    if kind not in PREVIEWS or lang not in ("zh", "en"):
        typer.echo(f"Kinds: {', '.join(PREVIEWS)}; languages: zh, en.", err=True)
        raise typer.Exit(2)
    target = out or Path(f"preview-{kind}-{lang}.pdf")
    use_saved_templates(settings)  # the wording admins saved, as real letters use it
    target.write_bytes(PREVIEWS[kind].render(lang, FontSource.from_settings(settings)))
    typer.echo(f"Wrote {target}")


@letters_app.command("scans")
def letters_scans(
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON output.")] = False,
) -> None:
    """List scanned letters taken in, newest first, with why any could not be read."""
    from pipeline.scans.queries import list_scans

    runtime = _runtime(_settings())
    with runtime.factory() as session:
        rows = list_scans(session)
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for row in rows:
        typer.echo(
            f"#{row['id']:<5} {row['received_at'][:19]}  {row['status']:<11} "
            f"{row['case_reference'] or '-':<15} {row['source']}  {row['reason']}"
        )
    if not rows:
        typer.echo("No scanned letters.")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON output.")] = False,
) -> None:
    """Is it healthy? Database, Redis, mailboxes, queues, unsent mail, and the metrics.

    The same as the console's /healthz and /metrics; exits 1 when something fails.
    """
    from pipeline.ops.health import check_health
    from pipeline.ops.metrics import metric_samples, metrics_registry

    settings = _settings()
    runtime = _runtime(settings)
    health = check_health(runtime.factory, settings)
    samples = metric_samples(metrics_registry(runtime.factory, settings)) if health.database[
        "ok"] else {}
    if as_json:
        json.dump({**health.to_json(), "metrics": samples}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_status(health, samples)
    if not health.ok:
        raise typer.Exit(1)


def _print_status(health, samples: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    def mark(ok: bool) -> str:
        return "ok  " if ok else "FAIL"

    typer.echo(f"{mark(health.ok)} overall / 总体 ({health.checked_at[:19]})")
    typer.echo(f"{mark(health.database['ok'])} database / 数据库")
    used = "" if health.redis.get("used") else " (not used: embedded queue / 未使用)"
    typer.echo(f"{mark(health.redis['ok'])} redis{used}")
    for box in health.mailboxes:
        age = "never / 从未" if box.seconds_since_success is None else (
            f"{box.seconds_since_success:.0f} s ago / 秒前")
        typer.echo(f"{mark(box.ok)} mailbox / 邮箱 {box.name}: last read / 上次读取 {age}")
    depths = ", ".join(f"{q} {n}" for q, n in health.queues.items())
    typer.echo(f"     queues / 队列: {depths}")
    oldest = health.oldest_unsent_mail_seconds
    typer.echo(f"     oldest unsent mail / 最早未发邮件: "
               f"{'none / 无' if oldest is None else f'{oldest:.0f} s'}")
    for name, value in samples.items():
        if not name.endswith(("_bucket", "_created")) and "_bucket{" not in name:
            typer.echo(f"     {name} {value:g}")


@letters_app.command("release-scan")
def letters_release_scan(
    scan_id: Annotated[int, typer.Argument(help="The held scan's number (letters scans).")],
    by: Annotated[str, typer.Option("--by", help="Your user name, for the record.")],
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON output.")] = False,
) -> None:
    """Let a scan held over an OCR budget be read (the running service's sweep reads it)."""
    from pipeline.scans.budget import release_held

    runtime = _runtime(_settings())
    with runtime.factory() as session, session.begin():
        released = release_held(session, scan_id=scan_id, by=by)
    if as_json:
        json.dump({"id": scan_id, "released": released, "by": by}, sys.stdout)
        sys.stdout.write("\n")
    else:
        typer.echo(f"Scan #{scan_id} released for OCR by {by}. / 扫描件已放行识别。" if released
                   else f"Scan #{scan_id} is not held. / 该扫描件不在暂停状态。")
    if not released:
        raise typer.Exit(code=1)


from workers.identity_cli import register as _register_identity  # noqa: E402

_register_identity(app, cases_app)

from workers.manual_cli import register as _register_manual  # noqa: E402

_register_manual(cases_app)
from workers.status_cli import register as _register_status  # noqa: E402

_register_status(cases_app)
from workers.history_cli import register as _register_history  # noqa: E402

_register_history(cases_app)
from workers.review_cli import register as _register_review  # noqa: E402

_register_review(cases_app)
from workers.reply_cli import register as _register_replies  # noqa: E402

_register_replies(app, cases_app)
from workers.case_fields_cli import register as _register_case_fields  # noqa: E402

_register_case_fields(cases_app)


def main() -> None:
    app()
