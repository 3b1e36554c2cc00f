"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

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
