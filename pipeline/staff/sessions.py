"""Console sessions kept in the database, so logout and expiry take effect at once.

The browser holds a random token; the database holds only its SHA-256, so a copy of
the database does not let anyone sign in. Each session has its own CSRF token. A
session also ends after a stretch without any request (``session_idle_minutes``), so
a console left open on a shared desk does not stay signed in all day.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pipeline.db.models import StaffSession, User


@dataclass(frozen=True)
class Opened:
    token: str  # goes in the cookie, never stored
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, *, user: User, now: datetime, hours: float) -> Opened:
    """Start a session for a user who just proved their password; old expired ones go."""
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_digest(token), user_id=user.id, csrf_token=csrf,
                             created_at=now, expires_at=now + timedelta(hours=hours)))
    return Opened(token=token, csrf_token=csrf)


TOUCH_EVERY = timedelta(seconds=30)
"""How stale ``last_seen_at`` may get before a request writes it again (fewer writes)."""


def find_session(session: Session, token: str, *, now: datetime, idle_minutes: float = 60.0,
                 touch: bool = True) -> tuple[User, str] | None:
    """The signed-in user and the session's CSRF token, if the token is current.

    Current means not expired and used within the last ``idle_minutes``; ``touch``
    records this request as the session's latest use.
    """
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    last_seen = func.coalesce(StaffSession.last_seen_at, StaffSession.created_at)
    row = session.execute(
        select(User, StaffSession.csrf_token, last_seen)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == digest, StaffSession.expires_at > now,
               last_seen > now - timedelta(minutes=idle_minutes))
    ).first()
    if row is None or not row[0].active:
        return None
    seen = row[2]
    if touch and (seen is None or _aware(seen) < now - TOUCH_EVERY):
        session.execute(update(StaffSession).where(StaffSession.token_hash == digest)
                        .values(last_seen_at=now))
    return row[0], row[1]


def _aware(value: datetime) -> datetime:
    """A naive time from the database is UTC (how the columns store it)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def close_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
