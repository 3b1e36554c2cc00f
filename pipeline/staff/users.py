"""Staff accounts: created by an admin (CLI or console), passwords hashed with argon2.

The role and department stored here are all the console needs to decide what a
member of staff may see and do (see ``console.roles``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.base import utcnow
from pipeline.db.models import User

ROLES = ("intake", "handler", "supervisor", "admin")
LANGUAGES = ("zh", "en")
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much time
# as a wrong password and names cannot be probed by timing.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class UserError(ValueError):
    """An account that cannot be created or changed; the message is for the admin."""


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    role: str
    display_name: str = ""
    department: str | None = None
    language: str = "zh"


def _check(new: NewUser, department_keys: set[str]) -> None:
    if not _USERNAME.match(new.username):
        raise UserError("User name: 2-64 lower-case letters, digits, '.', '_' or '-'.")
    if new.role not in ROLES:
        raise UserError(f"Role: one of {', '.join(ROLES)}.")
    if new.role == "handler" and new.department not in department_keys:
        raise UserError(
            f"A department handler needs a department: one of {', '.join(sorted(department_keys))}."
        )
    if new.language not in LANGUAGES:
        raise UserError("Language: zh or en.")
    if len(new.password) < MIN_PASSWORD:
        raise UserError(f"Password: at least {MIN_PASSWORD} characters.")


def add_user(session: Session, new: NewUser, *, department_keys: set[str]) -> User:
    """Create an account in the caller's transaction."""
    _check(new, department_keys)
    if session.scalar(select(User.id).where(User.username == new.username)) is not None:
        raise UserError(f"The user name '{new.username}' is taken.")
    user = User(
        username=new.username,
        display_name=new.display_name.strip()[:200] or new.username,
        password_hash=_hasher.hash(new.password),
        role=new.role,
        department=new.department if new.role == "handler" else None,
        language=new.language,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"Password: at least {MIN_PASSWORD} characters.")
    user.password_hash = _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same time either way)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None
