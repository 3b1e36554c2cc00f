"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from config.settings import Settings
from pipeline.db.base import Base, include_for_dialect, make_engine, make_session_factory
from pipeline.db.migrate import upgrade
from pipeline.mailbox.ledger import get_watermark, record_mail, set_watermark
from tests.support import mails


def test_migrated_schema_matches_the_models(settings: Settings) -> None:
    upgrade(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include_for_dialect(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()

    assert differences == []


def test_imap_uids_above_signed_32_bits_are_stored(settings: Settings) -> None:
    """UID and UIDVALIDITY are unsigned 32-bit numbers; servers do use the top half."""
    upgrade(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine)
    big = 4_294_967_295
    with factory() as session, session.begin():
        record_mail(
            session, raw=mails.complaint(), source="t", mailbox="m", uidvalidity=big, uid=big
        )
        set_watermark(session, mailbox="m", uidvalidity=big, last_uid=big)
    with factory() as session:
        assert get_watermark(session, mailbox="m") == (big, big)
    engine.dispose()


def test_upgrading_keeps_existing_cases_with_defaults_for_new_columns(settings: Settings) -> None:
    """A database with cases from the first release upgrades in place."""
    from sqlalchemy import text

    url = settings.effective_database_url
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO cases (reference, status, channel, language, received_at, customer_name,"
            " customer_address, customer_email, customer_phone, email_undeliverable, subject,"
            " what_happened, demands, order_numbers, phone_candidates, taken_by, forwarded_by,"
            " attention, created_at, updated_at) VALUES ('CP-2026-000001', 'new', 'email', 'zh',"
            " CURRENT_TIMESTAMP, '', '', '', '', false, 's', 'w', '[]', '[]', '[]', 'system', '',"
            " '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))
    upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT category, severity, product, reopen_count, closed_at FROM cases"
        )).one()
    engine.dispose()
    assert tuple(row) == ("", "normal", "", 0, None)


def test_0016_gives_waiting_cases_a_wait_and_closed_cases_their_kind(settings: Settings) -> None:
    """Cases approved before the upgrade are reminded a week after it; closed ones agreed."""
    if settings.database_url:  # the session's database is already at head: start afresh
        from tests.support.services import fresh_postgres_database

        with fresh_postgres_database() as url:
            _check_0016(url)
    else:
        _check_0016(settings.effective_database_url)


def _check_0016(url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    upgrade(url, "0015")
    engine = make_engine(url)
    case_columns = (
        "reference, status, channel, language, received_at, customer_name, customer_address,"
        " customer_email, customer_phone, email_undeliverable, subject, what_happened, demands,"
        " order_numbers, phone_candidates, taken_by, forwarded_by, attention, created_at,"
        " updated_at, reopen_count, category, severity, product, responsibility, third_party,"
        " agreement_via, customer_phone_written, mailbox")
    values = ("'{ref}', '{status}', 'email', 'zh', CURRENT_TIMESTAMP, '', '', '', '', false, 's',"
              " 'w', '[]', '[]', '[]', 'system', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0,"
              " '', 'normal', '', '', '', '', '', 'default'")
    with engine.begin() as conn:
        for ref, status in (("CP-2026-000001", "approved"), ("CP-2026-000002", "closed")):
            conn.execute(text(f"INSERT INTO cases ({case_columns}) VALUES "
                              f"({values.format(ref=ref, status=status)})"))
        case_id = conn.execute(text(
            "SELECT id FROM cases WHERE reference = 'CP-2026-000001'")).scalar_one()
        for number in (1, 2):  # an older notice, then the current one
            conn.execute(text(
                "INSERT INTO notices (case_id, kind, language, filename, pdf, sha256, delivery,"
                " created_at) VALUES (:case, 'resolution', 'zh', :name, :pdf, 'x', 'email',"
                " CURRENT_TIMESTAMP)"), {"case": case_id, "name": f"n{number}.pdf", "pdf": b"%"})
    before = datetime.now(UTC)
    upgrade(url)
    with engine.connect() as conn:
        waits = conn.execute(text(
            "SELECT w.case_id, n.filename FROM agreement_waits w "
            "JOIN notices n ON n.id = w.notice_id")).all()
        kinds = dict(conn.execute(text("SELECT reference, closing_kind FROM cases")).all())
    engine.dispose()
    assert [tuple(w) for w in waits] == [(case_id, "n2.pdf")]
    assert kinds == {"CP-2026-000001": "", "CP-2026-000002": "agreed"}
    from pipeline.db.models import AgreementWait

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        wait = session.query(AgreementWait).one()
        assert wait.remind_at >= before + timedelta(days=7) - timedelta(seconds=5)
        assert wait.close_at - wait.remind_at == timedelta(days=7)
    engine.dispose()


def test_the_newest_script_by_file_name_is_alembics_head() -> None:
    """The start-up check reads the newest revision from the file names: they must agree
    with the revisions Alembic reads from the scripts themselves."""
    from alembic.script import ScriptDirectory

    from pipeline.db.migrate import MIGRATIONS, alembic_config, newest_revision

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert scripts.get_heads() == [newest_revision()]
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")
        assert Path(script.path).parent == MIGRATIONS / "versions"


def test_a_current_database_is_not_upgraded_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every process start checks the schema; a current one costs a query, not Alembic."""
    from alembic import command

    from pipeline.db.migrate import is_current

    url = settings.effective_database_url
    upgrade(url)
    assert is_current(url)

    def no_alembic(*args: object, **kwargs: object) -> None:
        raise AssertionError("Alembic ran on a current database")

    monkeypatch.setattr(command, "upgrade", no_alembic)
    upgrade(url)


def test_a_database_behind_or_empty_is_not_current(tmp_path: Path) -> None:
    from pipeline.db.migrate import is_current

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert not is_current(url)  # no schema at all
    assert not is_current(f"sqlite:///{tmp_path / 'missing' / 'desk.db'}")  # no folder
    upgrade(url, "0018")
    assert not is_current(url)
    upgrade(url)
    assert is_current(url)
