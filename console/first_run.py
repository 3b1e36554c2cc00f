"""Staff accounts for a first start, so the README's demo command can be tried at once.

Only when the database has no account at all: the demo creates an admin and one user
per role with a single random password, printed once on the terminal. A real
installation creates its accounts with ``complaints users add`` instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from config.departments import Department
from pipeline.staff.users import NewUser, add_user, has_users

DEMO_USERS = (
    ("admin", "Administrator 管理员", "admin", None),
    ("intake", "Intake clerk 接待员", "intake", None),
    ("supervisor", "Supervisor 主管", "supervisor", None),
)


def create_demo_users(factory: sessionmaker[Session],
                      departments: Sequence[Department]) -> tuple[list[str], str] | None:
    """Create the demo accounts if there are none; returns (names, password) or None."""
    password = secrets.token_urlsafe(12)
    wanted = [NewUser(name, password, role, display, dept) for name, display, role, dept
              in DEMO_USERS]
    wanted += [NewUser(f"handler-{d.key}", password, "handler", f"{d.name_en} {d.name_zh}",
                       d.key) for d in departments]
    keys = {d.key for d in departments}
    with factory() as session, session.begin():
        if has_users(session):
            return None
        for new in wanted:
            add_user(session, new, department_keys=keys)
    return [u.username for u in wanted], password
