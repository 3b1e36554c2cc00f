"""Case references: one per case, in order, never reused, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from config.settings import Settings
from pipeline.cases.references import next_reference, sequence_name
from pipeline.db.models import ReferenceCounter
from tests.support.services import truncate_all
from workers.app import build_runtime
from workers.runtime import Runtime


@pytest.fixture
def pg_runtime(postgres_url: str, tmp_path: Path) -> Iterator[Runtime]:
    truncate_all(postgres_url)
    built = build_runtime(Settings(data_dir=tmp_path, database_url=postgres_url))  # type: ignore[call-arg]
    yield built
    built.engine.dispose()


def take(runtime: Runtime, year: int = 2026) -> str:
    with runtime.factory() as session, session.begin():
        return next_reference(session, prefix="CP", year=year)


def test_numbers_count_up_from_one_per_year(runtime: Runtime) -> None:
    assert [take(runtime) for _ in range(3)] == ["CP-2026-000001", "CP-2026-000002",
                                                 "CP-2026-000003"]
    assert take(runtime, 2027) == "CP-2027-000001"
    assert take(runtime) == "CP-2026-000004"


def test_a_number_taken_by_a_rolled_back_intake_is_not_given_again(runtime: Runtime) -> None:
    assert take(runtime) == "CP-2026-000001"
    with runtime.factory() as session:
        session.begin()
        assert next_reference(session, prefix="CP", year=2026) == "CP-2026-000002"
        session.rollback()
    assert take(runtime) in {"CP-2026-000003", "CP-2026-000002"}
    if runtime.engine.dialect.name == "postgresql":  # the sequence is never rolled back
        assert take(runtime) == "CP-2026-000004"


@pytest.mark.postgres
def test_concurrent_intakes_get_distinct_numbers(pg_runtime: Runtime) -> None:
    runtime = pg_runtime
    with ThreadPoolExecutor(max_workers=4) as pool:
        taken = list(pool.map(lambda _: take(runtime), range(100)))
    assert sorted(taken) == [f"CP-2026-{n:06d}" for n in range(1, 101)]


@pytest.mark.postgres
def test_an_upgraded_database_goes_on_after_its_counter_row(pg_runtime: Runtime) -> None:
    """A database that counted with the old counter row does not start again at 1."""
    runtime = pg_runtime
    with runtime.factory() as session, session.begin():
        session.add(ReferenceCounter(year=2031, last_number=41))
    assert take(runtime, 2031) == "CP-2031-000042"
    with runtime.engine.connect() as conn:
        assert conn.scalar(text(f"SELECT last_value FROM {sequence_name(2031)}")) == 42
