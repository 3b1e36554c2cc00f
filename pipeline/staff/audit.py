"""The staff audit trail: account changes and personal-data actions, outside any case."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.base import utcnow
from pipeline.db.models import StaffAudit

log = logging.getLogger(__name__)


def record_staff_action(session: Session, *, actor: str, action: str, target: str = "",
                        **detail: Any) -> None:
    """Append one entry in the caller's transaction; ``detail`` must hold no personal data."""
    session.add(StaffAudit(at=utcnow(), actor=actor[:100], action=action[:64],
                           target=target[:200], detail=detail))
    log.info("staff action", extra={"action": action, "by": actor, "target": target})


def staff_actions(session: Session, *, limit: int = 200) -> list[StaffAudit]:
    """The newest entries first."""
    return list(session.scalars(select(StaffAudit).order_by(StaffAudit.id.desc()).limit(limit)))
