"""Sign-in throttling, kept in the database so every console process sees the same counts.

Each failed sign-in counts against the user name tried and against the client's
address. Five failures for one name within the window (or twenty from one address)
close that door for ``wait_seconds``; every failure after a wait doubles the next
wait (up to a day), so guessing a password costs days, not minutes. A successful
sign-in clears the name's record. The address record is left to expire on its own:
a stranger who owns one account must not be able to reset their address's count by
signing in to it between guesses at other people's accounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import SignInThrottle

MAX_WAIT_SECONDS = 24 * 3600
QUIET_RESET = timedelta(days=1)
"""A record with no failure for this long is forgotten, waits and all."""


@dataclass(frozen=True)
class Limits:
    user_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    first_wait_seconds: int = 60


def keys(username: str, address: str) -> dict[str, str]:
    return {"user": f"user:{username.strip().lower()[:150]}", "addr": f"addr:{address[:150]}"}


def wait_left(session: Session, username: str, address: str, *, now: datetime) -> int:
    """Seconds until this name and address may try again; 0 = now."""
    rows = session.scalars(select(SignInThrottle).where(
        SignInThrottle.key.in_(keys(username, address).values())))
    left = 0.0
    for row in rows:
        if row.blocked_until is not None and row.blocked_until > now:
            left = max(left, (row.blocked_until - now).total_seconds())
    return math.ceil(left)


def record_failure(factory: sessionmaker[Session], username: str, address: str, *,
                   now: datetime, limits: Limits) -> int:
    """Count one failure for the name and the address; returns the wait it imposed (0 = none)."""
    for attempt in range(3):  # two processes may create the same row at once
        try:
            with factory() as session, session.begin():
                return max(_count(session, key, now=now, limits=limits,
                                  threshold=limits.user_failures if kind == "user"
                                  else limits.address_failures)
                           for kind, key in keys(username, address).items())
        except IntegrityError:
            if attempt == 2:
                raise
    return 0


def _count(session: Session, key: str, *, now: datetime, limits: Limits, threshold: int) -> int:
    row = session.get(SignInThrottle, key, with_for_update=True)
    if row is None:
        row = SignInThrottle(key=key, failures=0, window_start=now, last_failure_at=now,
                             wait_seconds=0)
        session.add(row)
        session.flush()
    elif now - row.last_failure_at > QUIET_RESET:
        row.failures, row.window_start, row.wait_seconds, row.blocked_until = 0, now, 0, None
    elif now - row.window_start > limits.window:
        row.failures, row.window_start = 0, now
    row.failures += 1
    row.last_failure_at = now
    if row.failures < threshold and row.wait_seconds == 0:
        return 0
    # At the threshold: the first wait. After a wait: every failure doubles it.
    row.wait_seconds = (min(row.wait_seconds * 2, MAX_WAIT_SECONDS) if row.wait_seconds
                        else limits.first_wait_seconds)
    row.blocked_until = now + timedelta(seconds=row.wait_seconds)
    return row.wait_seconds


def clear(session: Session, username: str) -> None:
    """A correct password: the name's failures are forgiven."""
    session.execute(delete(SignInThrottle).where(
        SignInThrottle.key == keys(username, "")["user"]))


def visit_wait(session: Session, keys: list[str], *, now: datetime) -> int:
    """Seconds until a public page may be asked for again under these keys; 0 = now."""
    rows = session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))
    left = max(((row.blocked_until - now).total_seconds() for row in rows
                if row.blocked_until is not None and row.blocked_until > now), default=0.0)
    return math.ceil(left)


def record_visits(factory: sessionmaker[Session], thresholds: dict[str, int], *,
                  now: datetime, window: timedelta) -> int:
    """Count one request of a public page (the status page) against each key.

    Unlike a failed sign-in, a page view is normal: a fixed window, no doubling. A
    key past its threshold is closed until its window ends; returns the longest wait
    (0 = none). The rows share the sign-in table; their keys have their own prefix.
    """
    for attempt in range(3):  # two processes may create the same row at once
        try:
            with factory() as session, session.begin():
                return max((_visit(session, key, now=now, window=window, threshold=threshold)
                            for key, threshold in thresholds.items()), default=0)
        except IntegrityError:
            if attempt == 2:
                raise
    return 0


def _visit(session: Session, key: str, *, now: datetime, window: timedelta,
           threshold: int) -> int:
    row = session.get(SignInThrottle, key[:200], with_for_update=True)
    if row is None:
        row = SignInThrottle(key=key[:200], failures=0, window_start=now, last_failure_at=now,
                             wait_seconds=0)
        session.add(row)
        session.flush()
    elif now - row.window_start > window:
        row.failures, row.window_start, row.blocked_until = 0, now, None
    row.failures += 1
    row.last_failure_at = now
    if row.failures <= threshold:
        return 0
    row.blocked_until = row.window_start + window
    return math.ceil((row.blocked_until - now).total_seconds())
