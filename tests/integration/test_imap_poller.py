"""The IMAP poller against a real Dovecot, with the ledger on SQLite."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import make_engine, make_session_factory
from pipeline.db.migrate import upgrade
from pipeline.db.models import InboundMail, Lease, MailboxItem
from pipeline.mailbox.ledger import record_mail, set_watermark
from tests.support import mails
from tests.support.dovecot import DovecotServer
from workers.imap_poller import RECORDED_KEYWORD, ImapPoller

pytestmark = pytest.mark.dovecot


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def imap_settings(server: DovecotServer, tmp_path: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[arg-type]
        data_dir=tmp_path / "var",
        imap_host=server.host,
        imap_port=server.port,
        imap_user=server.user,
        imap_password=server.password,
        imap_ssl=False,
        imap_idle_seconds=10,
        imap_timeout_seconds=5,
        lease_seconds=3,
        **extra,
    )


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def poller(
    server: DovecotServer,
    tmp_path: Path,
    factory: sessionmaker[Session],
    queued: list[int] | None = None,
    holder: str = "test-poller",
    **extra: object,
) -> ImapPoller:
    return ImapPoller(
        settings=imap_settings(server, tmp_path, **extra),
        session_factory=factory,
        enqueue=(queued if queued is not None else []).extend,
        holder=holder,
    )


def ledger_count(factory: sessionmaker[Session], model: type = InboundMail) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_new_mail_is_recorded_once_and_flagged_not_read(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    uid = dovecot.append(mails.complaint())
    queued: list[int] = []

    new = poller(dovecot, tmp_path, factory, queued).poll_once()

    assert len(new) == 1 and queued == new
    assert uid is not None
    flags = dovecot.flags(uid)
    assert RECORDED_KEYWORD.encode() in flags
    assert b"\\Seen" not in flags  # BODY.PEEK: a person's unread mail stays unread
    assert dovecot.list_uids() == [uid]  # never deleted


def test_restarted_poller_records_nothing_twice(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    for _ in range(3):
        dovecot.append(mails.complaint())
    poller(dovecot, tmp_path, factory).poll_once()

    again = poller(dovecot, tmp_path, factory).poll_once()

    assert again == []
    assert ledger_count(factory) == 3


def test_done_folder_receives_the_mail_and_nothing_is_lost(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    for _ in range(4):
        dovecot.append(mails.complaint())

    poller(dovecot, tmp_path, factory, imap_done_folder="Recorded").poll_once()

    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Recorded")) == 4
    assert ledger_count(factory) == 4


def test_same_mail_twice_in_mailbox_is_one_ledger_mail(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    raw = mails.complaint()
    dovecot.append(raw)
    dovecot.append(raw)

    new = poller(dovecot, tmp_path, factory).poll_once()

    assert len(new) == 1
    assert ledger_count(factory) == 1
    assert ledger_count(factory, MailboxItem) == 2


def test_uidvalidity_change_rescans_without_duplicates(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    for _ in range(3):
        dovecot.append(mails.complaint())
    poller(dovecot, tmp_path, factory).poll_once()
    before = dovecot.uidvalidity()

    dovecot.rebuild_folder()
    dovecot.append(mails.complaint())
    new = poller(dovecot, tmp_path, factory).poll_once()

    assert dovecot.uidvalidity() != before
    assert len(new) == 1
    assert ledger_count(factory) == 4


def test_crash_after_commit_before_flag_only_flags_on_next_pass(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    uid = dovecot.append(mails.complaint())
    assert uid is not None
    settings = imap_settings(dovecot, tmp_path)
    validity = dovecot.uidvalidity()
    with factory() as session, session.begin():  # what the poller commits before flagging
        record_mail(
            session,
            raw=dovecot.folder_messages()[0],
            source=settings.mailbox_name,
            mailbox=settings.mailbox_name,
            uidvalidity=validity,
            uid=uid,
        )
        set_watermark(session, mailbox=settings.mailbox_name, uidvalidity=validity, last_uid=uid)

    new = poller(dovecot, tmp_path, factory).poll_once()

    assert new == []
    assert ledger_count(factory) == 1
    assert RECORDED_KEYWORD.encode() in dovecot.flags(uid)


def test_search_answer_below_watermark_is_ignored(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """UID SEARCH n:* returns the highest UID even when it is below n."""
    dovecot.append(mails.complaint())
    poller(dovecot, tmp_path, factory).poll_once()
    with factory() as session:
        rows = list(session.scalars(select(InboundMail)))

    again = poller(dovecot, tmp_path, factory).poll_once()

    assert again == [] and len(rows) == 1


def run_in_thread(p: ImapPoller) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=p.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def test_idle_wakes_the_poller_within_seconds(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    queued: list[int] = []
    stop, thread = run_in_thread(poller(dovecot, tmp_path, factory, queued))
    try:
        dovecot.append(mails.complaint())  # the first catch-up may take it
        wait_until(lambda: len(queued) == 1, 10, "the first mail")
        time.sleep(0.5)  # not needed for correctness: makes the mail arrive while idling
        started = time.monotonic()
        dovecot.append(mails.complaint())
        wait_until(lambda: len(queued) == 2, 5, "the mail announced by IDLE")
        latency = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=10)
    assert latency < 3.0
    assert not thread.is_alive()


def test_standby_poller_takes_over_when_the_active_one_stops(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    first_q: list[int] = []
    second_q: list[int] = []
    stop_a, thread_a = run_in_thread(poller(dovecot, tmp_path, factory, first_q, holder="a"))
    wait_until(lambda: ledger_holder(factory) == "a", 10, "poller a to take the lease")
    stop_b, thread_b = run_in_thread(poller(dovecot, tmp_path, factory, second_q, holder="b"))
    try:
        dovecot.append(mails.complaint())
        wait_until(lambda: len(first_q) == 1, 10, "the active poller to record")
        stop_a.set()
        thread_a.join(timeout=10)
        dovecot.append(mails.complaint())
        wait_until(lambda: len(second_q) == 1, 15, "the standby to take over")
    finally:
        stop_a.set()
        stop_b.set()
        thread_b.join(timeout=10)
    assert ledger_count(factory) == 2


def ledger_holder(factory: sessionmaker[Session]) -> str | None:
    with factory() as session:
        lease = session.scalars(select(Lease)).first()
        return lease.holder if lease else None


def test_server_restart_mid_run_reconnects(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    queued: list[int] = []
    stop, thread = run_in_thread(poller(dovecot, tmp_path, factory, queued))
    try:
        dovecot.append(mails.complaint())
        wait_until(lambda: len(queued) == 1, 10, "the first mail")
        dovecot.restart()
        dovecot.append(mails.complaint())
        wait_until(lambda: len(queued) == 2, 20, "the poller to reconnect and record")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert ledger_count(factory) == 2
