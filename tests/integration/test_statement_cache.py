"""psycopg keeps the translation of a batch's INSERTs (pipeline/db/statement_cache.py).

On PostgreSQL only: SQLite has no such translation. If a psycopg release drops the
bounds this raises, the first test fails: the batch INSERTs are then scanned each time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg import _queries

from config.settings import Settings
from pipeline.intake.process import claim_many, process_many
from pipeline.mailbox.ledger import record_mail
from tests.support import mails
from workers.runtime import Runtime


@pytest.fixture
def translated_each_time(runtime: Runtime, monkeypatch: pytest.MonkeyPatch
                         ) -> Iterator[list[bytes]]:
    """The queries psycopg translates without keeping the result, as they are run."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("psycopg translates queries for PostgreSQL only")
    uncached: list[bytes] = []
    original = _queries._query2pg_nocache

    def spy(query: bytes, encoding: str) -> object:
        uncached.append(bytes(query))
        return original(query, encoding)

    monkeypatch.setattr(_queries, "_query2pg_nocache", spy)
    yield uncached


def process_batch(runtime: Runtime, prefix: str, size: int) -> None:
    with runtime.factory() as session, session.begin():
        ids = [record_mail(session, source="test", raw=mails.complaint(
            sender=f"{prefix}{n}@customer.example", subject=f"Problem {n}")).inbound_id
            for n in range(size)]
    held = claim_many(runtime.factory, inbound_ids=ids, settings=runtime.settings)
    assert len(process_many(runtime.factory, held=held, settings=runtime.settings)) == size


def test_a_full_batch_of_complaints_is_translated_from_the_cache(
    runtime: Runtime, settings: Settings, translated_each_time: list[bytes]
) -> None:
    """GIVEN two full batches (20 complaints: the cases' INSERT is about 27,600
    characters and 840 parameters) THEN no statement is scanned without being kept."""
    process_batch(runtime, "a", 20)
    process_batch(runtime, "b", 20)

    assert [query[:40] for query in translated_each_time] == []


def test_a_statement_beyond_the_bounds_is_still_translated(
    runtime: Runtime, settings: Settings, translated_each_time: list[bytes]
) -> None:
    """GIVEN a query longer than the raised bound THEN psycopg translates it, uncached,
    and it runs as before."""
    padding = " " * (40 * 1024)
    with runtime.engine.connect() as conn:
        value = conn.exec_driver_sql(f"SELECT %(n)s::int + 1{padding}", {"n": 41}).scalar()

    assert value == 42
    assert len(translated_each_time) == 1
