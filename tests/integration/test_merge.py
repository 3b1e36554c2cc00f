"""Merging a duplicate into another case of the same customer, and the customer's history."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.cases.history import related_cases
from pipeline.cases.merge import MergeError, merge_cases, surviving_case
from pipeline.db.base import utcnow
from pipeline.db.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFacts,
    Correspondence,
    InboundMail,
)
from pipeline.privacy.holdings import Person
from pipeline.privacy.requests import erase_person
from pipeline.reports.periods import parse_period
from pipeline.reports.statistics import table_rows
from tests.support import mails
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

FIRST, DUPLICATE, OTHER = "CP-2026-000001", "CP-2026-000002", "CP-2026-000003"


def _with_photo(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jane Smith <jane@customer.example>"
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content("I wrote before: the kettle leaks. A photo is attached. Jane Smith")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 64, maintype="image", subtype="png",
                       filename="kettle.png")
    return bytes(msg)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """GIVEN Jane's complaint, her second mail about it (a case of its own), Li's complaint."""
    runtime = build_runtime(settings)
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    ingest_bytes(runtime, _with_photo("Kettle again"), name="b.eml")
    ingest_bytes(runtime, mails.complaint(sender="Li Na <lina@customer.example>",
                                          subject="Late parcel"), name="c.eml")
    yield runtime
    runtime.engine.dispose()


def _get(session: Session, reference: str) -> Case:
    return session.scalars(select(Case).where(Case.reference == reference)).one()


def _count(session: Session, model: type[Correspondence | Attachment | InboundMail],
           reference: str) -> int:
    return session.scalar(select(func.count()).select_from(model).where(
        model.case_id == _get(session, reference).id)) or 0


def test_merge_moves_the_duplicates_mail_and_files_and_closes_it(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        before = _count(session, Correspondence, DUPLICATE) + _count(
            session, Correspondence, FIRST)
        merged = merge_cases(session, duplicate=_get(session, DUPLICATE),
                             target=_get(session, FIRST), by="ivy", now=utcnow())
    assert merged.attachments == 1 and merged.mails == 1
    with runtime.factory() as session:
        duplicate, first = _get(session, DUPLICATE), _get(session, FIRST)
        assert (duplicate.status, duplicate.merged_into_case_id) == ("merged", first.id)
        assert duplicate.closed_at is not None
        assert _count(session, Correspondence, DUPLICATE) == 0
        assert _count(session, Correspondence, FIRST) == before
        assert _count(session, Attachment, FIRST) == 1
        assert _count(session, InboundMail, FIRST) == 2
        trail = {(e.case_id, e.action): e.detail for e in session.scalars(select(CaseEvent))}
        assert trail[(duplicate.id, "merged_into")]["into"] == FIRST
        assert trail[(first.id, "merged_from")]["duplicate"] == DUPLICATE
        assert trail[(duplicate.id, "status")]["status"] == "merged"


def test_a_merged_duplicate_is_not_counted_again_in_the_statistics(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        merge_cases(session, duplicate=_get(session, DUPLICATE), target=_get(session, FIRST),
                    by="ivy", now=utcnow())
    with runtime.factory() as session:
        counted = set(session.scalars(select(CaseFacts.reference)))
        listed = {row.reference for row in table_rows(
            session, parse_period(str(utcnow().year), runtime.settings.time_zone))}
    assert counted == listed == {FIRST, OTHER}


def test_merging_another_customers_case_is_refused_in_both_languages(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        before = _count(session, Correspondence, OTHER)
        with pytest.raises(MergeError) as refused:
            merge_cases(session, duplicate=_get(session, OTHER), target=_get(session, FIRST),
                        by="ivy", now=utcnow())
        assert "not of the same customer" in str(refused.value)
        assert "不属于同一客户" in str(refused.value)
        assert _get(session, OTHER).status == "new"
        assert _count(session, Correspondence, OTHER) == before > 0


def test_merging_into_itself_or_into_a_merged_case_is_refused(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        first, duplicate = _get(session, FIRST), _get(session, DUPLICATE)
        with pytest.raises(MergeError):
            merge_cases(session, duplicate=first, target=first, by="ivy", now=utcnow())
        merge_cases(session, duplicate=duplicate, target=first, by="ivy", now=utcnow())
        with pytest.raises(MergeError, match="not open"):
            merge_cases(session, duplicate=first, target=_get(session, DUPLICATE), by="ivy",
                        now=utcnow())


def test_the_customers_other_cases_are_listed_by_mail_address_and_phone(
        runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        _get(session, OTHER).customer_phone = "+8613800138000"
        _get(session, FIRST).customer_phone = "+8613800138000"
    with runtime.factory() as session:
        related = related_cases(session, _get(session, FIRST), scope=None)
    assert {(r.reference, r.relation) for r in related} == {
        (DUPLICATE, "same_customer"), (OTHER, "same_customer")}


def test_a_follow_up_and_a_merge_show_as_links_both_ways(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        first, duplicate = _get(session, FIRST), _get(session, DUPLICATE)
        _get(session, OTHER).follows_case_id = first.id
        merge_cases(session, duplicate=duplicate, target=first, by="ivy", now=utcnow())
    with runtime.factory() as session:
        of_first = {r.reference: r.relation for r in
                    related_cases(session, _get(session, FIRST), scope=None)}
        of_other = {r.reference: r.relation for r in
                    related_cases(session, _get(session, OTHER), scope=None)}
        of_duplicate = {r.reference: r.relation for r in
                        related_cases(session, _get(session, DUPLICATE), scope=None)}
    assert of_first == {DUPLICATE: "merged_from", OTHER: "followed_by"}
    assert of_other == {FIRST: "follows"}
    assert of_duplicate == {FIRST: "merged_into"}


def test_a_handler_is_shown_only_their_departments_cases(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        _get(session, FIRST).department = "quality"
        _get(session, DUPLICATE).department = "logistics"
    with runtime.factory() as session:
        assert related_cases(session, _get(session, FIRST), scope="quality") == []
        assert [r.reference for r in related_cases(session, _get(session, FIRST),
                                                   scope=None)] == [DUPLICATE]


def test_erasing_the_customer_after_a_merge_erases_both_cases(runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        merge_cases(session, duplicate=_get(session, DUPLICATE), target=_get(session, FIRST),
                    by="ivy", now=utcnow())
    erased = erase_person(runtime.factory, settings=runtime.settings,
                          person=Person.named("jane@customer.example", None), reason="asked",
                          by="ada")
    assert sorted(erased.references) == [FIRST, DUPLICATE]
    with runtime.factory() as session:
        assert all(c.erased_at is not None for c in (_get(session, FIRST),
                                                     _get(session, DUPLICATE)))
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
        # What identified the customer is gone: no case matches it any more.
        relations = {r.relation for r in related_cases(session, _get(session, FIRST), scope=None)}
        assert relations == {"merged_from"}


def test_the_surviving_case_of_a_merged_duplicate_is_the_case_it_joined(
        runtime: Runtime) -> None:
    with runtime.factory() as session, session.begin():
        first, duplicate = _get(session, FIRST), _get(session, DUPLICATE)
        assert surviving_case(session, duplicate) is duplicate
        merge_cases(session, duplicate=duplicate, target=first, by="ivy", now=utcnow())
        assert surviving_case(session, _get(session, DUPLICATE)).reference == FIRST
        assert surviving_case(session, _get(session, FIRST)).reference == FIRST
