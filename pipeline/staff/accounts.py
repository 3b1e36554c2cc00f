"""The life of a staff account after it is created: passwords, resets, disabling, roles.

Every change is recorded in the staff audit trail. Anything that takes access away
(disabling, a reset) deletes the account's sessions in the same transaction, so an
open browser is refused on its very next request (``find_session`` reads the database).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pipeline.db.models import PasswordReset, StaffSession, User
from pipeline.staff.audit import record_staff_action
from pipeline.staff.users import ROLES, UserError, set_password

RESET_LINK_HOURS = 24
_hasher = PasswordHasher()


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise UserError(f"No staff account '{username.strip()[:64]}'.")
    return user


def end_sessions(session: Session, user: User) -> int:
    """Sign the user out everywhere at once."""
    result = session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def change_own_password(session: Session, user: User, *, current: str, new: str) -> None:
    """A signed-in user replaces their password; the current one must be right."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as err:
        raise UserError("The current password is wrong.") from err
    if new == current:
        raise UserError("The new password must differ from the current one.")
    set_password(user, new)
    user.must_change_password = False
    record_staff_action(session, actor=user.username, action="password_changed",
                        target=user.username)


def set_new_password(session: Session, user: User, password: str, *, by: str) -> None:
    """Set a password without the old one (the CLI on the server, a reset link)."""
    set_password(user, password)
    user.must_change_password = False
    end_sessions(session, user)
    record_staff_action(session, actor=by, action="password_set", target=user.username)


def reset_to_temporary(session: Session, user: User, *, by: str) -> str:
    """A random temporary password the user must replace at their next sign-in."""
    temporary = secrets.token_urlsafe(12)
    set_password(user, temporary)
    user.must_change_password = True
    end_sessions(session, user)
    record_staff_action(session, actor=by, action="password_reset", target=user.username,
                        via="temporary_password")
    return temporary


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_reset_link(session: Session, user: User, *, by: str, now: datetime) -> str:
    """A one-time token for a reset link; earlier unused links of the user stop working."""
    if not user.email:
        raise UserError(f"{user.username} has no mail address for a reset link; "
                        "reset to a temporary password instead.")
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id,
                                                PasswordReset.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(token_hash=_digest(token), user_id=user.id, created_by=by[:100],
                              created_at=now, expires_at=now + timedelta(hours=RESET_LINK_HOURS)))
    end_sessions(session, user)
    record_staff_action(session, actor=by, action="password_reset", target=user.username,
                        via="mailed_link")
    return token


def reset_link_user(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user a current, unused reset link belongs to."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == _digest(token), PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > now))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def use_reset_link(session: Session, token: str, password: str, *, now: datetime) -> User:
    """Set the new password and spend the link, so it works only once."""
    user = reset_link_user(session, token, now=now)
    if user is None:
        raise UserError("This reset link has expired or was already used.")
    spent = session.execute(update(PasswordReset).where(
        PasswordReset.token_hash == _digest(token), PasswordReset.used_at.is_(None))
        .values(used_at=now))
    if not spent.rowcount:  # type: ignore[attr-defined]
        raise UserError("This reset link has expired or was already used.")
    set_new_password(session, user, password, by=user.username)
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return int(session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0)


def disable(session: Session, user: User, *, by: str) -> None:
    """Take access away now: the account cannot sign in and its sessions end."""
    if user.role == "admin" and _other_active_admins(session, user) == 0:
        raise UserError("The last active admin cannot be disabled.")
    user.active = False
    ended = end_sessions(session, user)
    record_staff_action(session, actor=by, action="user_disabled", target=user.username,
                        sessions_ended=ended)


def enable(session: Session, user: User, *, by: str) -> None:
    user.active = True
    record_staff_action(session, actor=by, action="user_enabled", target=user.username)


def set_role(session: Session, user: User, *, role: str, department: str | None, by: str,
             department_keys: set[str]) -> None:
    """Change what the user may see; a handler needs a department, others have none."""
    if role not in ROLES:
        raise UserError(f"Role: one of {', '.join(ROLES)}.")
    if role == "handler" and department not in department_keys:
        raise UserError(
            f"A department handler needs a department: one of {', '.join(sorted(department_keys))}."
        )
    if user.role == "admin" and role != "admin" and _other_active_admins(session, user) == 0:
        raise UserError("The last active admin must stay an admin.")
    before = (user.role, user.department)
    user.role, user.department = role, department if role == "handler" else None
    record_staff_action(session, actor=by, action="role_changed", target=user.username,
                        role_from=before[0], role_to=user.role,
                        department_from=before[1] or "", department_to=user.department or "")


def set_email(session: Session, user: User, email: str, *, by: str) -> None:
    """The address reset links go to."""
    cleaned = email.strip()[:320]
    if cleaned and ("@" not in cleaned or any(c.isspace() for c in cleaned)):
        raise UserError("Mail address: name@domain.")
    user.email = cleaned
    record_staff_action(session, actor=by, action="email_changed", target=user.username)
