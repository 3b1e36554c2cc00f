"""Who may see and do what: the one place the console asks.

- intake: reviews and routes every new case, sees all cases and quarantined mail;
- handler: sees and works only the cases of their own department;
- supervisor: everything intake does, on all cases (and approvals, the overdue view);
- admin: everything, plus staff accounts.
Every route asks ``may`` for actions and ``case_scope`` for data, so a department
handler asking for another department's case by id gets "not found".
"""

from __future__ import annotations

from pipeline.db.models import Case, User

ACTIONS: dict[str, frozenset[str]] = {
    "review": frozenset({"intake", "supervisor", "admin"}),  # queue, correct, route, not ours
    # A complaint taken on the phone or at the counter (the New complaint form).
    "record_complaint": frozenset({"intake", "supervisor", "admin"}),
    "search_all": frozenset({"intake", "supervisor", "admin"}),
    "quarantine": frozenset({"intake", "supervisor", "admin"}),
    "department_queue": frozenset({"handler", "supervisor", "admin"}),
    "manage_users": frozenset({"admin"}),
    "manage_templates": frozenset({"admin"}),  # the wording of every mail and letter
    # After routing: the department proposes (on its own cases), supervisors decide.
    "propose": frozenset({"handler", "supervisor", "admin"}),
    "approve": frozenset({"supervisor", "admin"}),
    "agreement": frozenset({"intake", "supervisor", "admin"}),
    "reports": frozenset({"intake", "supervisor", "admin"}),
    # Supervisors' own queues: approvals waiting and everything overdue.
    "supervise": frozenset({"supervisor", "admin"}),
    # Merging a duplicate into another case of the same customer.
    "merge": frozenset({"intake", "supervisor", "admin"}),
    # Writing to the customer (issue 12): handlers only on their department's cases.
    "reply": frozenset({"intake", "handler", "supervisor", "admin"}),
    # The person responsible: managers assign; a handler may only take its own
    # department's case (pipeline/cases/responsible.py:may_assign).
    "assign": frozenset({"supervisor", "admin"}),
}
NOBODY = "\x00"  # a department key no case has: a handler without a department sees nothing


def may(user: User, action: str) -> bool:
    """Whether this user's role allows the action."""
    return user.role in ACTIONS.get(action, frozenset())


def case_scope(user: User) -> str | None:
    """The only department whose cases the user may see, or None for all cases."""
    if user.role == "handler":
        return user.department or NOBODY
    return None


def can_see(user: User, case: Case) -> bool:
    """Object-level check on one case (and so its attachments and mails)."""
    scope = case_scope(user)
    return scope is None or case.department == scope


def home(user: User) -> str:
    """Where a user lands after signing in."""
    return "/department" if user.role == "handler" else "/queue"
