"""The suggested department for a case, learned from staff's own routing decisions.

The classifier is trained from the cases staff have routed (the most recent
``TRAINING_WINDOW``) and kept in memory; it is retrained once ``RETRAIN_EVERY`` more
cases have been routed, so suggestions follow the team's habits without training on
every page view. Acceptance is counted from the routing events, which record the
suggestion shown next to the department chosen.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.departments import Department
from pipeline.db.models import Case, CaseEvent
from pipeline.routing.suggest import (
    Acceptance,
    RoutingModel,
    Suggestion,
    acceptance,
    case_text,
    suggest,
)

TRAINING_WINDOW = 10_000
RETRAIN_EVERY = 100
ACCEPTANCE_WINDOW = 1_000


@dataclass
class _Trained:
    model: RoutingModel
    routed_count: int


_lock = threading.Lock()
_cache: dict[str, _Trained] = {}


def _routed_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Case)
                          .where(Case.department.is_not(None))) or 0


def _train(session: Session) -> RoutingModel:
    rows = session.execute(
        select(Case.subject, Case.what_happened, Case.demands, Case.department)
        .where(Case.department.is_not(None))
        .order_by(Case.id.desc())
        .limit(TRAINING_WINDOW)
    ).all()
    return RoutingModel.train([(case_text(s, w, d or []), str(dept)) for s, w, d, dept in rows])


def routing_model(session: Session) -> RoutingModel:
    """The classifier for this database, retrained when enough new decisions exist."""
    key = str(session.get_bind().engine.url)
    count = _routed_count(session)
    with _lock:
        trained = _cache.get(key)
        if trained is None or abs(count - trained.routed_count) >= RETRAIN_EVERY:
            trained = _Trained(_train(session), count)
            _cache[key] = trained
        return trained.model


def suggestion_for(
    session: Session, case: Case, departments: Sequence[Department],
    mailbox_department: str = "",
) -> Suggestion | None:
    """The suggested department for one case, with its reason.

    ``mailbox_department`` is the default department of the case's mailbox, if any.
    """
    text = case_text(case.subject, case.what_happened, case.demands)
    return suggest(text, departments, routing_model(session),
                   (case.mailbox, mailbox_department))


def acceptance_stats(session: Session) -> Acceptance:
    """How often the recent routing decisions followed the suggestion shown."""
    details = session.scalars(
        select(CaseEvent.detail)
        .where(CaseEvent.action == "status")
        .order_by(CaseEvent.id.desc())
        .limit(ACCEPTANCE_WINDOW * 3)
    ).all()
    decisions = [(d.get("suggested"), str(d.get("department"))) for d in details
                 if d.get("status") == "routed" and d.get("department")]
    return acceptance(decisions[:ACCEPTANCE_WINDOW])
