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

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.departments import Department
from pipeline.db.models import Case, CaseEvent
from pipeline.routing.keeper import RETRAIN_EVERY, _routed_count, _train
from pipeline.routing.suggest import (
    Acceptance,
    RoutingModel,
    Suggestion,
    acceptance,
    case_text,
    suggest,
)

ACCEPTANCE_WINDOW = 1_000


@dataclass
class _Trained:
    model: RoutingModel
    routed_count: int


_lock = threading.Lock()
_cache: dict[str, _Trained] = {}


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
