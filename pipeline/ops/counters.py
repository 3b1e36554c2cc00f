"""Running counts kept in the database, so every process adds to the same number.

The sweep runs in the poller, metrics are served by the console: an in-memory
counter in one process would be invisible to the other, and reset by a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import OpsCounter

SWEEP_PREFIX = "sweep_resent_"  # + inbound, outbound, scans: what the sweep nudged again


def add_counts(factory: sessionmaker[Session], counts: Mapping[str, int]) -> None:
    """Add each non-zero count to its named counter (created at its first count)."""
    for name, count in counts.items():
        if count:
            _add(factory, name, count)


def _add(factory: sessionmaker[Session], name: str, count: int) -> None:
    for _ in range(2):  # a concurrent first insert: the second round updates its row
        try:
            with factory() as session, session.begin():
                result = session.execute(update(OpsCounter).where(OpsCounter.name == name)
                                         .values(value=OpsCounter.value + count))
                changed = cast(CursorResult[Any], result).rowcount
                if not changed:
                    session.add(OpsCounter(name=name, value=count))
            return
        except IntegrityError:
            continue


def read_counts(session: Session, prefix: str = "") -> dict[str, int]:
    rows = session.execute(select(OpsCounter.name, OpsCounter.value)
                           .where(OpsCounter.name.startswith(prefix)))
    return {name: int(value) for name, value in rows}
