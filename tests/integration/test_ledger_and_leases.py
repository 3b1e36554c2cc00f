"""The ledger and the poller lease, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import make_engine, make_session_factory
from pipeline.db.migrate import upgrade
from pipeline.db.models import InboundMail, MailboxItem
from pipeline.leases import release, try_acquire
from pipeline.mailbox import ledger
from pipeline.mailbox.ledger import (
    get_watermark,
    known_uids,
    mark_settled,
    record_mail,
    record_mails,
    set_watermark,
    unsettled_uids,
)
from tests.support import mails


@pytest.fixture
def factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    upgrade(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_same_bytes_at_two_uids_store_one_mail(factory: sessionmaker[Session]) -> None:
    raw = mails.complaint()
    with factory() as session, session.begin():
        first = record_mail(session, raw=raw, source="t", mailbox="m", uidvalidity=1, uid=1)
        second = record_mail(session, raw=raw, source="t", mailbox="m", uidvalidity=1, uid=2)
        again = record_mail(session, raw=raw, source="t", mailbox="m", uidvalidity=1, uid=2)

    assert first.is_new and not second.is_new and not again.is_new
    assert first.inbound_id == second.inbound_id == again.inbound_id
    with factory() as session:
        assert session.scalar(select(func.count(InboundMail.id))) == 1
        assert session.scalar(select(func.count(MailboxItem.id))) == 2
        assert known_uids(session, mailbox="m", uidvalidity=1, uids=[1, 2, 3]) == {1, 2}


def test_a_batch_stores_new_mails_once_and_finds_known_ones(
    factory: sessionmaker[Session],
) -> None:
    """GIVEN a poller's batch holding a mail already recorded, a new one, and the new one
    again at another UID WHEN recorded in one go THEN each UID gets the right ledger id,
    only the first copy of the new mail is new work, and every UID is remembered."""
    known, fresh = mails.complaint(subject="Known"), mails.complaint(subject="Fresh")
    with factory() as session, session.begin():
        earlier = record_mail(session, raw=known, source="t")
    with factory() as session, session.begin():
        batch = record_mails(session, {7: fresh, 5: known, 9: fresh}, source="t",
                             mailbox="m", uidvalidity=1)

    assert sorted(batch) == [5, 7, 9]
    assert batch[5].inbound_id == earlier.inbound_id and not batch[5].is_new
    assert batch[7].is_new and not batch[9].is_new
    assert batch[7].inbound_id == batch[9].inbound_id != earlier.inbound_id
    with factory() as session:
        assert session.scalar(select(func.count(InboundMail.id))) == 2
        assert session.get(InboundMail, batch[7].inbound_id).raw == fresh  # type: ignore[union-attr]
        assert known_uids(session, mailbox="m", uidvalidity=1, uids=[5, 6, 7, 9]) == {5, 7, 9}


def test_a_batch_of_large_mails_goes_in_several_inserts(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN a batch whose mails together exceed what one INSERT may carry WHEN recorded
    THEN they go in several INSERTs, each under the limit, and every mail is stored."""
    raws = {uid: mails.complaint(subject=f"Large mail {uid}") for uid in range(1, 6)}
    sizes = [len(raw) for raw in raws.values()]
    limit = 2 * max(sizes)  # room for two mails, not three
    assert 3 * min(sizes) > limit
    monkeypatch.setattr(ledger, "STATEMENT_BYTES", limit)
    inserts: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INBOUND_MAIL"):
            inserts.append(statement)

    with factory() as session, session.begin():
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            batch = record_mails(session, raws, source="t", mailbox="m", uidvalidity=1)
        finally:
            event.remove(engine, "before_cursor_execute", count)

    assert len(inserts) == 3  # 2 + 2 + 1 mails
    assert all(batch[uid].is_new for uid in raws)
    with factory() as session:
        assert session.scalar(select(func.count(InboundMail.id))) == 5


def test_message_id_is_read_from_headers(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        rec = record_mail(session, raw=mails.complaint(message_id="<abc@x.example>"), source="t")
    with factory() as session:
        assert session.get(InboundMail, rec.inbound_id).message_id == "<abc@x.example>"  # type: ignore[union-attr]


def test_unsettled_items_are_remembered_until_marked(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        for uid in (5, 6):
            record_mail(
                session, raw=mails.complaint(), source="t", mailbox="m", uidvalidity=9, uid=uid
            )
    with factory() as session, session.begin():
        assert unsettled_uids(session, mailbox="m", uidvalidity=9) == [5, 6]
        mark_settled(session, mailbox="m", uidvalidity=9, uids=[5])
    with factory() as session:
        assert unsettled_uids(session, mailbox="m", uidvalidity=9) == [6]


def test_watermark_follows_uidvalidity(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        assert get_watermark(session, mailbox="m") == (0, 0)
        set_watermark(session, mailbox="m", uidvalidity=7, last_uid=40)
    with factory() as session, session.begin():
        assert get_watermark(session, mailbox="m") == (7, 40)
        set_watermark(session, mailbox="m", uidvalidity=8, last_uid=0)
    with factory() as session:
        assert get_watermark(session, mailbox="m") == (8, 0)


def test_only_one_holder_until_released(factory: sessionmaker[Session]) -> None:
    assert try_acquire(factory, name="box", holder="a", seconds=30)
    assert not try_acquire(factory, name="box", holder="b", seconds=30)
    assert try_acquire(factory, name="box", holder="a", seconds=30)  # renewal

    release(factory, name="box", holder="a")

    assert try_acquire(factory, name="box", holder="b", seconds=30)
    assert not try_acquire(factory, name="box", holder="a", seconds=30)


def test_expired_lease_is_taken_over(factory: sessionmaker[Session]) -> None:
    assert try_acquire(factory, name="box", holder="a", seconds=-1)  # already expired

    assert try_acquire(factory, name="box", holder="b", seconds=30)
