"""Applying the suggestions when a case is opened, on the record.

Intake fills the four fields with what the text suggests and writes one
``fields_suggested`` event with each value's source and reason, so the case page can
mark a value as a suggestion until staff confirm or change it. A field with no
suggestion stays empty: category and severity must then be chosen before routing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from config.products import load_products
from config.settings import Settings
from config.triage import load_triage
from pipeline.db.models import Case
from pipeline.db.trail import record_event
from pipeline.routing.keeper import shared_keeper
from pipeline.routing.suggest import case_text
from pipeline.triage.suggest import Suggestions, suggest_fields

SUGGESTED = "fields_suggested"


def suggest_case_fields(session: Session, *, case: Case, settings: Settings) -> Suggestions:
    """Fill a new case's category, severity, product and quantity from its text.

    Called before the case is first flushed, so its one INSERT carries them (no UPDATE
    per complaint); :func:`record_suggestions` writes the event once the case has an id.
    """
    found = suggest_fields(
        case_text(case.subject, case.what_happened, case.demands),
        triage=load_triage(settings), products=load_products(settings),
        model=shared_keeper(session).current(session),  # never waits for a training
    )
    case.category = str(found.category.value) if found.category else ""
    case.severity = str(found.severity.value) if found.severity else ""
    case.product = str(found.product.value) if found.product else ""
    case.quantity = int(found.quantity.value) if found.quantity else None
    return found


def record_suggestions(session: Session, *, case: Case, found: Suggestions) -> None:
    """The ``fields_suggested`` event: each value's source and reason, for the case page."""
    if not found.found():
        return
    # The trail's writer below the case packages (pipeline.db.trail): the one function
    # that opens cases (pipeline/cases) calls this, and must not be imported back.
    record_event(session, case=case, action=SUGGESTED, by="system", **found.to_json())
