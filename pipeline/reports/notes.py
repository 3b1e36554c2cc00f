"""Root-cause notes on recurring problems.

A cluster's key stays the same as later cases join it (it is built from its signal
and its earliest case), so a note written this month is still shown next month. One
note per cluster; writing again replaces it, and the audit is who wrote it last.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import RecurringNote

MAX_NOTE = 4000


def notes_for(session: Session, keys: Iterable[str]) -> dict[str, RecurringNote]:
    """The notes of these clusters, by key."""
    wanted = list(keys)
    if not wanted:
        return {}
    rows = session.scalars(select(RecurringNote).where(RecurringNote.key.in_(wanted)))
    return {row.key: row for row in rows}


def save_note(session: Session, *, key: str, note: str, department: str, by: str,
              now: datetime) -> RecurringNote | None:
    """Write (or clear, with an empty note) the root-cause note of a cluster."""
    key = key.strip()[:200]
    if not key:
        raise ValueError("A recurring problem needs its key.")
    existing = session.get(RecurringNote, key)
    if not note.strip():
        if existing is not None:
            session.delete(existing)
        return None
    if existing is None:
        existing = RecurringNote(key=key, note="", department="", updated_by=by)
        session.add(existing)
    existing.note, existing.department = note.strip()[:MAX_NOTE], department
    existing.updated_by, existing.updated_at = by, now
    return existing
