"""Finding cases: the review queue, a department's queue and search with filters.

One query builder serves all three, so a department handler's restriction is applied
in exactly one place (``scope``) whatever filters the page adds. Free text is matched
with ``ILIKE '%term%'`` (Chinese has no word boundaries to index), which PostgreSQL
answers from trigram indexes; SQLite, for small installations, reads the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from pipeline.db.models import Case

PAGE_SIZE = 50
MAX_PAGE = 200  # offsets stay bounded; narrow the search instead of paging further
MAX_TERM = 200


@dataclass(frozen=True)
class CaseFilter:
    """What the member of staff asked for; empty values mean "any"."""

    status: str = ""
    department: str = ""
    channel: str = ""
    language: str = ""
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str = ""
    reference: str = ""
    customer: str = ""
    oldest_first: bool = True
    page: int = 1
    # A department's queue: cases whose customer wrote since staff last acted come first.
    customer_wrote_first: bool = False


@dataclass(frozen=True)
class Page:
    cases: list[Case]
    page: int
    has_next: bool


def _like(term: str) -> str:
    """A LIKE pattern matching ``term`` literally anywhere."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_filter(query: Select[tuple[Case]], term: str) -> Select[tuple[Case]]:
    pattern = _like(term[:MAX_TERM])
    return query.where(or_(
        Case.subject.ilike(pattern, escape="\\"),
        Case.what_happened.ilike(pattern, escape="\\"),
        Case.customer_name.ilike(pattern, escape="\\"),
        Case.customer_email.ilike(pattern, escape="\\"),
    ))


def _customer_filter(term: str) -> ColumnElement[bool]:
    """A whole address is looked up exactly (its index); anything else matched anywhere.

    Every address shares trigrams like "@customer.example", so matching a whole
    address with ILIKE reads long trigram lists; the exact lookup is instant.
    """
    if "@" in term and " " not in term:
        return Case.customer_email.in_({term, term.lower()})
    pattern = _like(term)
    return or_(Case.customer_name.ilike(pattern, escape="\\"),
               Case.customer_email.ilike(pattern, escape="\\"),
               Case.customer_phone.ilike(pattern, escape="\\"))


def _filtered(query: Select[tuple[Case]], wanted: CaseFilter) -> Select[tuple[Case]]:
    exact = {Case.status: wanted.status, Case.department: wanted.department,
             Case.channel: wanted.channel, Case.language: wanted.language}
    for column, value in exact.items():
        if value:
            query = query.where(column == value)
    if wanted.received_from:
        query = query.where(Case.received_at >= wanted.received_from)
    if wanted.received_to:
        query = query.where(Case.received_at < wanted.received_to)
    if wanted.reference:
        query = query.where(Case.reference.ilike(_like(wanted.reference.strip()[:40]), escape="\\"))
    if wanted.customer.strip():
        query = query.where(_customer_filter(wanted.customer.strip()[:MAX_TERM]))
    if wanted.text.strip():
        query = _text_filter(query, wanted.text.strip())
    return query


def matching_cases(wanted: CaseFilter, *, scope: str | None) -> Select[tuple[Case]]:
    """Every case matching the filter (no page), oldest first: for exports."""
    query = _filtered(select(Case), wanted)
    if scope is not None:
        query = query.where(Case.department == scope)
    return query.order_by(Case.received_at, Case.id)


def find_cases(session: Session, wanted: CaseFilter, *, scope: str | None) -> Page:
    """One page of cases matching the filter; ``scope`` limits to one department."""
    page = min(max(wanted.page, 1), MAX_PAGE)
    query = _filtered(select(Case), wanted)
    if scope is not None:
        query = query.where(Case.department == scope)
    order: list[Any] = ([Case.received_at, Case.id] if wanted.oldest_first
                        else [Case.received_at.desc(), Case.id.desc()])
    if wanted.customer_wrote_first:  # NULLs last on every backend: "is null" sorts false first
        order = [Case.customer_wrote_at.is_(None), Case.customer_wrote_at, *order]
    rows: list[Case] = list(session.scalars(
        query.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ))
    return Page(cases=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)


def review_queue(session: Session, *, page: int = 1) -> Page:
    """Cases waiting for review, oldest first: the intake team works from the top."""
    return find_cases(session, CaseFilter(status="new", page=page), scope=None)
