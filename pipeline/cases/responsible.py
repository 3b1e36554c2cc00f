"""The named person responsible for a case: a handler of its department.

The procedure wants responsibility explicit, "which department, which person". A case
is routed to a department; then the department's manager (a supervisor, or an admin)
assigns it to one of the department's handlers, or a handler takes it. The deadline
letter and the written resolution name that person as the customer's contact, and
every assignment is audited with who it moved from and to.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cases.events import record_event
from pipeline.db.models import Case, User

ASSIGNERS = frozenset({"supervisor", "admin"})
CLOSED = frozenset({"closed", "not_ours", "merged"})


class AssignmentError(ValueError):
    """An assignment the process does not allow; the message is for staff (both languages)."""


def contact_name(session: Session, username: str | None) -> str:
    """How the customer is told who handles their case: the display name, else the login."""
    if not username:
        return ""
    user = session.scalar(select(User).where(User.username == username))
    return (user.display_name.strip() or user.username) if user else username


def department_handlers(session: Session, department: str | None) -> list[User]:
    """The active handlers of a department (of every department for "*"), by name."""
    if not department:
        return []
    query = select(User).where(User.role == "handler", User.active.is_(True))
    if department != "*":
        query = query.where(User.department == department)
    return list(session.scalars(query.order_by(User.department, User.username)))


def check_handler(session: Session, *, username: str, department: str) -> User:
    """The handler to assign, who must be an active handler of the case's department."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        raise AssignmentError(f"No active staff account '{username}'. / 没有这个在用的员工账号。")
    if user.role != "handler" or user.department != department:
        raise AssignmentError(
            f"'{username}' is not a handler of the department '{department}'. "
            "/ 此人不是该部门的处理人员。")
    return user


def may_assign(actor: User, case: Case, handler: str) -> bool:
    """Managers assign anyone; a handler of the case's department may only take it."""
    if actor.role in ASSIGNERS:
        return True
    return (actor.role == "handler" and actor.department == case.department
            and handler == actor.username)


def assign_handler(session: Session, *, case: Case, handler: str, by: str) -> bool:
    """Make ``handler`` the person responsible; False when they already are."""
    if case.department is None:
        raise AssignmentError("Route the case to a department first. / 请先将案件分派给部门。")
    if case.status in CLOSED:
        raise AssignmentError("A closed case is not assigned. / 已结案的案件不能再指派。")
    user = check_handler(session, username=handler, department=case.department)
    if case.handler == user.username:
        return False
    previous, case.handler = case.handler, user.username
    record_event(session, case=case, action="handler_assigned", by=by,
                 **{"from": previous, "to": user.username})
    return True
