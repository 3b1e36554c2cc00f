"""Console sessions kept in the database, so logout and expiry take effect at once.

The browser holds a random token; the database holds only its SHA-256, so a copy of
the database does not let anyone sign in. Each session has its own CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
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


def find_session(session: Session, token: str, *, now: datetime) -> tuple[User, str] | None:
    """The signed-in user and the session's CSRF token, if the token is current."""
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(User, StaffSession.csrf_token)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == _digest(token), StaffSession.expires_at > now)
    ).first()
    if row is None or not row[0].active:
        return None
    return row[0], row[1]


def close_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
