"""Console services on SQLite and PostgreSQL: accounts, sessions, search, quarantine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline.db.base import utcnow
from pipeline.db.models import Case, InboundMail
from pipeline.review.quarantine import quarantined_mail, raw_source, requeue
from pipeline.review.search import PAGE_SIZE, CaseFilter, find_cases
from pipeline.staff.sessions import close_session, find_session, open_session
from pipeline.staff.users import NewUser, UserError, add_user, authenticate
from tests.console.conftest import ConsoleWorld
from tests.support.console import PASSWORD, csrf_token, sign_in
from workers.inline import ingest_bytes


def test_passwords_are_hashed_and_checked(world: ConsoleWorld) -> None:
    with world.runtime.factory() as session, session.begin():
        user = authenticate(session, "ivy", PASSWORD)
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash and PASSWORD not in repr(user)
        assert authenticate(session, "ivy", PASSWORD + "x") is None
        assert authenticate(session, "nobody", PASSWORD) is None
        user.active = False
        assert authenticate(session, "ivy", PASSWORD) is None


def test_accounts_are_checked(world: ConsoleWorld) -> None:
    keys = {"quality"}
    with world.runtime.factory() as session, session.begin():
        for bad, why in (
            (NewUser("ivy", PASSWORD, "intake"), "taken"),
            (NewUser("x y", PASSWORD, "intake"), "User name"),
            (NewUser("zed", PASSWORD, "boss"), "Role"),
            (NewUser("zed", PASSWORD, "handler"), "needs a department"),
            (NewUser("zed", "short", "intake"), "at least"),
        ):
            with pytest.raises(UserError, match=why):
                add_user(session, bad, department_keys=keys)


def test_sessions_expire_and_end_at_logout(world: ConsoleWorld) -> None:
    now = utcnow()
    with world.runtime.factory() as session, session.begin():
        user = authenticate(session, "ivy", PASSWORD)
        assert user is not None
        opened = open_session(session, user=user, now=now, hours=1)
    with world.runtime.factory() as session, session.begin():
        found = find_session(session, opened.token, now=now + timedelta(minutes=59))
        assert found is not None and found[1] == opened.csrf_token
        assert find_session(session, opened.token, now=now + timedelta(minutes=61)) is None
        assert find_session(session, opened.token + "x", now=now) is None
        close_session(session, opened.token)
    with world.runtime.factory() as session:
        assert find_session(session, opened.token, now=now) is None


def test_search_pages_are_bounded_and_scoped(world: ConsoleWorld) -> None:
    with world.runtime.factory() as session, session.begin():
        template = session.scalars(select(Case)).first()
        assert template is not None
        for number in range(PAGE_SIZE + 5):
            session.add(Case(reference=f"CP-2025-{number:06d}", status="routed",
                             channel="letter", language="en",
                             received_at=template.received_at - timedelta(days=number + 1),
                             subject=f"Bulk {number}", department="quality"))
    with world.runtime.factory() as session:
        first = find_cases(session, CaseFilter(channel="letter"), scope=None)
        second = find_cases(session, CaseFilter(channel="letter", page=2), scope=None)
        assert len(first.cases) == PAGE_SIZE and first.has_next
        assert len(second.cases) == 5 and not second.has_next
        assert first.cases[0].received_at <= first.cases[-1].received_at  # oldest first
        huge = find_cases(session, CaseFilter(channel="letter", page=10**9), scope=None)
        assert huge.cases == [] and huge.page == 200
        scoped = find_cases(session, CaseFilter(text="Bulk"), scope="logistics")
        assert scoped.cases == []
        dated = CaseFilter(received_from=template.received_at - timedelta(days=3),
                           received_to=template.received_at - timedelta(days=1),
                           channel="letter")
        assert len(find_cases(session, dated, scope=None).cases) == 2


def test_quarantined_mail_is_shown_and_reprocessed_once(world: ConsoleWorld) -> None:
    raw = b"This is not a mail at all, it has no headers.\r\n"
    ingest_bytes(world.runtime, raw, name="junk.eml")
    with world.runtime.factory() as session:
        row = session.scalars(select(InboundMail).where(
            InboundMail.status == "quarantined")).one()
        inbound_id = row.id
        assert "no headers" in raw_source(row)
    client = world.client()
    token = sign_in(client, "ivy")
    listing = client.get("/quarantine")
    assert f"/quarantine/{inbound_id}" in listing.text
    page = client.get(f"/quarantine/{inbound_id}")
    assert page.status_code == 200 and "no headers" in page.text
    response = client.post(f"/quarantine/{inbound_id}/reprocess", data={"csrf_token": token})
    assert response.status_code == 200
    with world.runtime.factory() as session:
        row = session.get(InboundMail, inbound_id)
        assert row is not None and row.status == "quarantined"  # still unreadable: back again
        assert row.attempts == 0 and row.quarantine_reason
    with world.runtime.factory() as session, session.begin():
        assert requeue(session, inbound_id)
        assert not requeue(session, inbound_id)  # a second press changes nothing
        assert quarantined_mail(session, inbound_id) is None
    again = client.post(f"/quarantine/{inbound_id}/reprocess",
                        data={"csrf_token": csrf_token(page.text)})
    assert "no longer quarantined" in again.text


def test_mail_quarantined_by_a_limit_becomes_a_case_once_the_limit_is_raised(
    world: ConsoleWorld,
) -> None:
    from tests.console.conftest import attachment_mail
    from workers.app import build_runtime

    strict = build_runtime(world.settings.model_copy(update={"max_mime_parts": 2}))
    ingest_bytes(strict, attachment_mail("photo.jpg"), name="parts.eml")
    strict.engine.dispose()
    with world.runtime.factory() as session:
        row = session.scalars(select(InboundMail).where(
            InboundMail.status == "quarantined")).one()
        inbound_id, cases_before = row.id, len(session.scalars(select(Case)).all())
    client = world.client()
    token = sign_in(client, "ivy")
    client.post(f"/quarantine/{inbound_id}/reprocess", data={"csrf_token": token})
    client.post(f"/quarantine/{inbound_id}/reprocess", data={"csrf_token": token})
    with world.runtime.factory() as session:
        row = session.get(InboundMail, inbound_id)
        assert row is not None and (row.status, row.classification) == ("processed", "complaint")
        assert len(session.scalars(select(Case)).all()) == cases_before + 1


def test_the_classifier_trains_in_the_background_never_in_a_request(
    world: ConsoleWorld,
) -> None:
    from pipeline.review.model_keeper import ModelKeeper

    keeper = ModelKeeper(world.runtime.factory)
    with world.runtime.factory() as session:
        assert keeper.current(session) is None  # keyword rules until a model exists
    assert keeper.wait(timeout=60)
    with world.runtime.factory() as session:
        model = keeper.current(session)
    assert model is not None and model.sample_count == 0  # nothing routed yet
