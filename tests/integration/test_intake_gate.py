"""One worker process turns at most ``intake_concurrency`` mail batches into cases at
a time, their acknowledgments' sending included (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import pipeline.intake.process
import workers.actors
from config.settings import Settings
from pipeline.mailbox.ledger import record_mail
from tests.support import mails
from workers.app import build_runtime
from workers.runtime import Runtime


def recorded(runtime: Runtime, count: int, first: int = 0) -> list[int]:
    """Ledger ids of ``count`` new complaints from different customers."""
    with runtime.factory() as session, session.begin():
        return [
            record_mail(session, source="test", raw=mails.complaint(
                sender=f"c{n}@customer.example", subject=f"Problem {n}")).inbound_id
            for n in range(first, first + count)
        ]


def gate_taken(runtime: Runtime) -> bool:
    """True when no other intake could start in this process now."""
    if runtime.intake_gate.acquire(blocking=False):
        runtime.intake_gate.release()
        return False
    return True


@pytest.fixture
def seen(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Whether the gate was taken while a batch was processed and while it was sent."""
    notes: list[str] = []
    process_many, send_now = pipeline.intake.process.process_many, workers.actors.send_now

    def processing(*args: Any, **kwargs: Any) -> Any:
        notes.append(f"processed, gate taken: {gate_taken(runtime)}")
        return process_many(*args, **kwargs)

    def sending(*args: Any, **kwargs: Any) -> None:
        notes.append(f"sent, gate taken: {gate_taken(runtime)}")
        send_now(*args, **kwargs)

    monkeypatch.setattr(pipeline.intake.process, "process_many", processing)
    monkeypatch.setattr(workers.actors, "send_now", sending)
    yield notes


def test_a_batch_is_processed_and_acknowledged_holding_the_gate(
    runtime: Runtime, seen: list[str]
) -> None:
    assert runtime.settings.intake_concurrency == 1
    assert runtime.actors is not None
    runtime.actors.process_batch.fn(recorded(runtime, 3))

    assert seen == ["processed, gate taken: True", "sent, gate taken: True"]
    assert not gate_taken(runtime)  # given back


def test_a_failed_batch_gives_the_gate_back(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(pipeline.intake.process, "process_many", broken)
    assert runtime.actors is not None
    runtime.actors.process_batch.fn(recorded(runtime, 2))  # handed back, one by one

    assert not gate_taken(runtime)


def test_two_batches_run_together_when_the_setting_allows_two(settings: Settings,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """GIVEN intake_concurrency 2 WHEN a first batch waits inside THEN a second one
    still gets in (with 1 it would wait at the gate and the first would time out)."""
    runtime = build_runtime(settings.model_copy(update={"intake_concurrency": 2}))
    meeting_point = threading.Barrier(2, timeout=30)  # broken if one waits alone
    process_many = pipeline.intake.process.process_many

    def meeting(*args: Any, **kwargs: Any) -> Any:
        meeting_point.wait()
        return process_many(*args, **kwargs)

    monkeypatch.setattr(pipeline.intake.process, "process_many", meeting)
    assert runtime.actors is not None
    batches = [recorded(runtime, 2), recorded(runtime, 2, first=2)]
    errors: list[BaseException] = []

    def run(ids: list[int]) -> None:
        try:
            runtime.actors.process_batch.fn(ids)  # type: ignore[union-attr]
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(ids,)) for ids in batches]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        runtime.engine.dispose()
    assert errors == []
    assert not meeting_point.broken
