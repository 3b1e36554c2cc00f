"""The IMAP poller against a real Dovecot, with the ledger on SQLite.

Each line of reliability-cases.md's IMAP section has a test here; the rule behind
them ("ours only once committed, then flag or move, never delete") is checked by
counting mail on the server and rows in the ledger.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from imapclient.exceptions import IMAPClientError
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import Base, make_engine, make_session_factory, utcnow
from pipeline.db.models import InboundMail, Lease, MailboxItem
from pipeline.mailbox.ledger import get_watermark, record_mail, set_watermark
from tests.support import mails
from tests.support.dovecot import (  # noqa: F401 - fixtures
    DOVECOT_BINARY,
    DovecotServer,
    dovecot_fixture,
    dovecot_server_fixture,
    require_or_skip,
)
from workers import imap_poller
from workers.backoff import Backoff
from workers.imap_mail import MAX_FETCH_ATTEMPTS
from workers.imap_poller import RECORDED_KEYWORD, ImapPoller

pytestmark = pytest.mark.dovecot

KEYWORD = RECORDED_KEYWORD.encode()
# Post-login capabilities of a plainer server: no IDLE, no MOVE, but UIDPLUS.
WITHOUT_IDLE_OR_MOVE = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS UNSELECT"


# Helpers ---------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)  # polling interval of the condition


def mail(**fields: object) -> bytes:
    """A test complaint in CRLF form, so the bytes the server returns equal what was sent."""
    raw = mails.complaint(**fields)  # type: ignore[arg-type]
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def imap_settings(server: DovecotServer, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "imap_host": server.host,
        "imap_port": server.port,
        "imap_user": server.user,
        "imap_password": SecretStr(server.password),
        "imap_ssl": False,
        "imap_idle_seconds": 10,
        "imap_poll_seconds": 0.2,
        "imap_timeout_seconds": 5,
        "lease_seconds": 3,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def plain_server() -> Iterator[DovecotServer]:
    """A Dovecot announcing neither IDLE nor MOVE, as some providers' servers do."""
    require_or_skip(DOVECOT_BINARY)
    with DovecotServer(capabilities=WITHOUT_IDLE_OR_MOVE) as server:
        yield server


@pytest.fixture
def plain_dovecot(plain_server: DovecotServer) -> DovecotServer:
    plain_server.ensure_running()
    plain_server.use_fresh_user()
    return plain_server


def make_poller(
    server: DovecotServer,
    tmp_path: Path,
    factory: sessionmaker[Session],
    queued: list[int] | None = None,
    *,
    holder: str = "test-poller",
    enqueue: Callable[[list[int]], None] | None = None,
    **extra: object,
) -> ImapPoller:
    return ImapPoller(
        settings=imap_settings(server, tmp_path, **extra),
        session_factory=factory,
        enqueue=enqueue or (queued if queued is not None else []).extend,
        holder=holder,
        backoff=Backoff(first=0.05, cap=0.2),
    )


class Service:
    """The poller's service loop in a thread, stopped (and checked) on ``stop``/exit."""

    def __init__(self, poller: ImapPoller) -> None:
        self.poller = poller
        self._stop = threading.Event()
        self._thread = threading.Thread(target=poller.run, args=(self._stop,), daemon=True)
        self._thread.start()

    @property
    def status(self) -> str:
        return self.poller.status

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "run() did not return soon after stop was set"
        assert self.poller.status == "stopped"

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def count(factory: sessionmaker[Session], model: type[Base] = InboundMail) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def ledger_raws(factory: sessionmaker[Session]) -> set[bytes]:
    with factory() as session:
        return set(session.scalars(select(InboundMail.raw)))


def lease(factory: sessionmaker[Session]) -> Lease | None:
    with factory() as session:
        return session.scalars(select(Lease)).first()


# Recording, flagging, moving --------------------------------------------------------------


def test_new_mail_is_recorded_once_flagged_and_left_unread(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN an unread mail WHEN polled THEN it is in the ledger, flagged, still unread."""
    raw = mail()
    uid = dovecot.append(raw)
    queued: list[int] = []

    new = make_poller(dovecot, tmp_path, factory, queued).poll_once()

    assert len(new) == 1 and queued == new
    assert ledger_raws(factory) == {raw}
    flags = dovecot.flags("INBOX", uid)
    assert KEYWORD in flags
    assert b"\\Seen" not in flags  # BODY.PEEK[]: a person's unread mail stays unread
    assert dovecot.list_uids("INBOX") == [uid]


def test_done_folder_receives_recorded_mail_unread(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a done folder that does not exist yet WHEN polled THEN mail moves there unread."""
    raws = [mail() for _ in range(4)]
    for raw in raws:
        dovecot.append(raw)

    make_poller(dovecot, tmp_path, factory, imap_done_folder="Recorded").poll_once()

    assert dovecot.list_uids("INBOX") == []
    assert sorted(dovecot.folder_messages("Recorded")) == sorted(raws)
    assert ledger_raws(factory) == set(raws)
    for uid in dovecot.list_uids("Recorded"):
        assert b"\\Seen" not in dovecot.flags("Recorded", uid)


@pytest.mark.parametrize("done_folder", ["", "Recorded"], ids=["flag", "move"])
def test_no_mail_is_ever_deleted(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session], done_folder: str
) -> None:
    """GIVEN mail in two passes WHEN recorded THEN the account holds as many mails as before."""
    for _ in range(3):
        dovecot.append(mail())
    poller = make_poller(dovecot, tmp_path, factory, imap_done_folder=done_folder)
    poller.poll_once()
    dovecot.append(mail())

    poller.poll_once()

    assert dovecot.message_count() == 4
    assert count(factory) == 4


def test_copy_and_uid_expunge_spare_other_clients_deleted_mail(
    plain_dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN no MOVE, and an old mail another client marked \\Deleted
    WHEN new mail is moved by COPY + UID EXPUNGE
    THEN only the new mail leaves the INBOX (a plain EXPUNGE would purge the old one)."""
    server = plain_dovecot
    old_uid = server.append(mail())
    server.add_flags("INBOX", [old_uid], [b"\\Deleted"])
    settings = imap_settings(server, tmp_path)
    with factory() as session, session.begin():  # the old mail was dealt with long ago
        validity = server.uidvalidity()
        set_watermark(
            session, mailbox=settings.mailbox_name, uidvalidity=validity, last_uid=old_uid
        )
    new_raw = mail()
    server.append(new_raw)

    make_poller(server, tmp_path, factory, imap_done_folder="Recorded").poll_once()

    assert server.list_uids("INBOX") == [old_uid]
    assert server.folder_messages("Recorded") == [new_raw]
    assert ledger_raws(factory) == {new_raw}


def test_same_raw_mail_twice_is_one_ledger_mail_with_two_items(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN the same bytes delivered twice WHEN polled THEN one mail, seen at two UIDs."""
    raw = mail()
    first, second = dovecot.append(raw), dovecot.append(raw)

    new = make_poller(dovecot, tmp_path, factory).poll_once()

    assert len(new) == 1
    assert count(factory, InboundMail) == 1
    assert count(factory, MailboxItem) == 2
    assert KEYWORD in dovecot.flags("INBOX", first)
    assert KEYWORD in dovecot.flags("INBOX", second)


def test_oversized_mail_is_still_recorded(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a mail over max_mail_bytes among small ones WHEN polled THEN all are recorded
    (the big one is fetched on its own; quarantine is the parser's job)."""
    big = mail(body="x" * 20_000)
    raws = [mail(), big, mail()]
    for raw in raws:
        dovecot.append(raw)

    new = make_poller(dovecot, tmp_path, factory, max_mail_bytes=5_000).poll_once()

    assert len(new) == 3
    assert ledger_raws(factory) == set(raws)


def test_enqueue_failure_leaves_the_mail_recorded_and_settled(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a queue that is down WHEN mail is polled THEN it is committed and flagged anyway
    (the sweep re-sends unfinished work from the database)."""
    uid = dovecot.append(mail())

    def broken_queue(_inbound_ids: list[int]) -> None:
        raise ConnectionError("redis is down")

    new = make_poller(dovecot, tmp_path, factory, enqueue=broken_queue).poll_once()

    assert len(new) == 1 and count(factory) == 1
    assert KEYWORD in dovecot.flags("INBOX", uid)


def test_done_folder_equal_to_watched_folder_is_refused(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """Moving recorded mail into the watched folder would record and move it forever."""
    with pytest.raises(ValueError, match="imap_done_folder"):
        make_poller(dovecot, tmp_path, factory, imap_done_folder="INBOX")


# Restarts, crashes, UIDVALIDITY -------------------------------------------------------------


def test_restarted_poller_records_nothing_twice(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    for _ in range(3):
        dovecot.append(mail())
    make_poller(dovecot, tmp_path, factory).poll_once()
    queued: list[int] = []

    again = make_poller(dovecot, tmp_path, factory, queued).poll_once()

    assert again == [] and queued == []
    assert count(factory, InboundMail) == 3
    assert count(factory, MailboxItem) == 3


@pytest.mark.parametrize("done_folder", ["", "Recorded"], ids=["flag", "move"])
def test_crash_after_commit_only_settles_on_the_next_pass(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session], done_folder: str
) -> None:
    """GIVEN a mail committed to the ledger but never flagged or moved (a crash in between)
    WHEN a fresh poller runs THEN it flags or moves it without recording or queueing it again."""
    raw = mail()
    uid = dovecot.append(raw)
    settings = imap_settings(dovecot, tmp_path)
    validity = dovecot.uidvalidity()
    with factory() as session, session.begin():  # what a poller commits before settling
        record_mail(
            session,
            raw=raw,
            source=settings.mailbox_name,
            mailbox=settings.mailbox_name,
            uidvalidity=validity,
            uid=uid,
        )
        set_watermark(session, mailbox=settings.mailbox_name, uidvalidity=validity, last_uid=uid)
    queued: list[int] = []

    new = make_poller(dovecot, tmp_path, factory, queued, imap_done_folder=done_folder).poll_once()

    assert new == [] and queued == []
    assert count(factory, InboundMail) == 1
    with factory() as session:
        assert session.scalars(select(MailboxItem.settled)).all() == [True]
    if done_folder:
        assert dovecot.list_uids("INBOX") == []
        assert dovecot.folder_messages(done_folder) == [raw]
    else:
        assert KEYWORD in dovecot.flags("INBOX", uid)


def test_uidvalidity_change_rescans_without_duplicates(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a recorded mailbox restored with a new UIDVALIDITY and UIDs from 1 again
    WHEN polled THEN the new mail below the old watermark is found, nothing is duplicated."""
    for _ in range(3):
        dovecot.append(mail())
    poller = make_poller(dovecot, tmp_path, factory)
    poller.poll_once()
    dovecot.expunge("INBOX", [1, 2])  # staff tidied up; UID 3 is left
    old_validity = dovecot.uidvalidity()
    new_validity = dovecot.reset_uidvalidity()  # the old UID 3 is now UID 1
    fresh = mail()
    fresh_uid = dovecot.append(fresh)
    assert fresh_uid == 2  # below the old watermark of 3

    new = poller.poll_once()

    assert new_validity != old_validity
    assert len(new) == 1 and count(factory) == 4
    assert fresh in ledger_raws(factory)
    with factory() as session:
        assert get_watermark(session, mailbox=poller.mailbox) == (new_validity, 2)
    assert KEYWORD in dovecot.flags("INBOX", 1) and KEYWORD in dovecot.flags("INBOX", 2)


def test_highest_uid_below_the_search_range_is_filtered_out(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a watermark above every UID WHEN "UID SEARCH UID n:*" answers the highest UID
    anyway THEN that mail, below the watermark, is not taken as new."""
    uid = dovecot.append(mail())
    poller = make_poller(dovecot, tmp_path, factory)
    with factory() as session, session.begin():
        set_watermark(
            session, mailbox=poller.mailbox, uidvalidity=dovecot.uidvalidity(), last_uid=uid + 5
        )
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UID", f"{uid + 6}:*"]) == [uid]  # the server's quirk

    new = poller.poll_once()

    assert new == [] and count(factory) == 0
    assert KEYWORD not in dovecot.flags("INBOX", uid)


def test_unreadable_mail_is_skipped_and_the_rest_recorded(
    dovecot: DovecotServer,
    tmp_path: Path,
    factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN a mail the server fails to read (Dovecot then drops the connection)
    WHEN the service runs THEN the others are recorded, that one is left on the server
    unflagged after a few tries and reported as an error, and the poller keeps running."""
    caplog.set_level(logging.INFO, logger="workers.imap_poller")
    raws = [mail() for _ in range(3)]
    for raw in raws:
        dovecot.append(raw)
    dovecot.mail_file("INBOX", 2).chmod(0)  # Dovecot reads mail as the "mail" user
    queued: list[int] = []

    with Service(make_poller(dovecot, tmp_path, factory, queued)) as poller:
        wait_until(lambda: len(queued) == 2 and poller.status == "idle", 15, "the readable mail")

    assert ledger_raws(factory) == {raws[0], raws[2]}
    assert KEYWORD not in dovecot.flags("INBOX", 2)
    assert dovecot.list_uids("INBOX") == [1, 2, 3]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "giving up" in r.msg]
    assert [r.uid for r in errors] == [2]  # type: ignore[attr-defined]


def test_refused_mail_holds_the_watermark_until_given_up(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a server that answers NO for an unreadable mail (and, like Dovecot, drops a
    session that asks for it twice) WHEN polled repeatedly THEN the others are recorded,
    the watermark stays below the refused mail while it is retried, and moves past it
    once the poller gives up on it; the mail stays on the server untouched."""
    require_or_skip(DOVECOT_BINARY)
    with DovecotServer(extra_config="imap_fetch_failure = no-after") as server:
        raws = [mail() for _ in range(3)]
        for raw in raws:
            server.append(raw)
        server.mail_file("INBOX", 2).chmod(0)
        poller = make_poller(server, tmp_path, factory)

        marks = []
        for _ in range(MAX_FETCH_ATTEMPTS):
            with contextlib.suppress(IMAPClientError):  # a dropped session; run() reconnects
                poller.poll_once()
            with factory() as session:
                marks.append(get_watermark(session, mailbox=poller.mailbox)[1])

        assert ledger_raws(factory) == {raws[0], raws[2]}
        assert 1 in marks  # mail 3 recorded while mail 2 was still being retried
        assert marks == sorted(marks) and marks[-1] == 3
        assert KEYWORD not in server.flags("INBOX", 2)
        assert server.list_uids("INBOX") == [1, 2, 3]


# The service loop: IDLE, polling, lease, reconnects --------------------------------------------


def test_idle_wakes_the_poller_in_well_under_two_seconds(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    queued: list[int] = []
    with Service(make_poller(dovecot, tmp_path, factory, queued)) as poller:
        wait_until(lambda: poller.status == "idle", 10, "the poller to enter IDLE")
        started = time.monotonic()
        dovecot.append(mail())
        wait_until(lambda: len(queued) == 1, 5, "the mail announced by IDLE")
        latency = time.monotonic() - started
    print(f"IDLE wake-up to ledger latency: {latency * 1000:.0f} ms")
    assert latency < 1.0


def test_mail_announced_during_a_catch_up_is_taken_without_waiting_for_idle(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a mail that arrives while the poller records another one
    WHEN the server announces it in the answer to the poller's next command, not in IDLE
    THEN the poller catches up again at once instead of idling out imap_idle_seconds."""
    queued: list[int] = []
    poller = make_poller(dovecot, tmp_path, factory, queued, imap_idle_seconds=60)
    record = poller._record
    second = mail(subject="Arrived while the first was being recorded")
    appended: list[float] = []

    def record_then_deliver(*args: object, **kwargs: object) -> tuple[list[int], list[int]]:
        result = record(*args, **kwargs)  # type: ignore[arg-type]
        if not appended:
            # The server sees this append before the poller's flag command, and
            # announces it ("* 2 EXISTS") in that command's answer.
            dovecot.append(second)
            appended.append(time.monotonic())
        return result

    poller._record = record_then_deliver  # type: ignore[method-assign]
    dovecot.append(mail())
    with Service(poller):
        wait_until(lambda: len(queued) == 2, 10, "the mail announced during the catch-up")
        latency = time.monotonic() - appended[0]
    assert second in ledger_raws(factory)
    assert latency < 5, f"took {latency:.1f} s: it waited for IDLE"


def test_a_server_repeating_its_count_does_not_keep_the_poller_from_idling(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN a server that repeats its message count in the answer to every command
    WHEN a catch-up finds nothing new THEN the poller idles instead of catching up in a
    loop, and a mail that arrives is still taken."""
    monkeypatch.setattr(imap_poller, "_news_arrived", lambda _client: True)
    queued: list[int] = []
    with Service(make_poller(dovecot, tmp_path, factory, queued)) as poller:
        wait_until(lambda: poller.status == "idle", 10, "the poller to idle")
        dovecot.append(mail())
        wait_until(lambda: len(queued) == 1, 10, "the mail that arrived")
    assert count(factory) == 1


def test_without_idle_the_poller_polls(
    plain_dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a server without IDLE WHEN mail arrives THEN the next poll records it."""
    queued: list[int] = []
    with Service(make_poller(plain_dovecot, tmp_path, factory, queued)) as poller:
        wait_until(lambda: poller.status == "polling", 10, "the poller to wait for a poll")
        plain_dovecot.append(mail())
        wait_until(lambda: len(queued) == 1, 5, "the polled mail")
    assert count(factory) == 1


def test_only_the_lease_holder_records_and_a_standby_takes_over(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN two pollers on one mailbox WHEN mail arrives THEN only the holder records it,
    renewing its lease while it idles; once it stops, the standby takes over."""
    queue_a: list[int] = []
    queue_b: list[int] = []
    with Service(make_poller(dovecot, tmp_path, factory, queue_a, holder="a")) as first:
        wait_until(lambda: first.status == "idle", 10, "poller a to idle")
        with Service(make_poller(dovecot, tmp_path, factory, queue_b, holder="b")) as second:
            wait_until(lambda: second.status == "standby", 10, "poller b to stand by")
            expiry = lease(factory).expires_at  # type: ignore[union-attr]
            wait_until(
                lambda: lease(factory).expires_at > expiry,  # type: ignore[union-attr]
                5,
                "poller a to renew its lease while idling",
            )
            dovecot.append(mail())
            wait_until(lambda: len(queue_a) == 1, 5, "the holder to record")
            assert second.status == "standby" and queue_b == []

            first.stop()
            wait_until(lambda: second.status == "idle", 10, "the standby to take over")
            dovecot.append(mail())
            wait_until(lambda: len(queue_b) == 1, 5, "the new holder to record")

    assert lease(factory).holder == "b"  # type: ignore[union-attr]
    assert count(factory) == 2


def test_standby_takes_over_a_lease_its_crashed_holder_stopped_renewing(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a lease held by a poller that died without releasing it
    WHEN it expires THEN the standby takes over and records the waiting mail."""
    queued: list[int] = []
    poller = make_poller(dovecot, tmp_path, factory, queued)
    with factory() as session, session.begin():
        expires = utcnow() + timedelta(seconds=1.5)
        session.add(Lease(name=poller.mailbox, holder="crashed", expires_at=expires))
    dovecot.append(mail())

    with Service(poller) as service:
        wait_until(lambda: service.status == "standby", 5, "the poller to stand by")
        assert queued == []
        wait_until(lambda: len(queued) == 1, 10, "the poller to take over and record")

    assert lease(factory).holder == "test-poller"  # type: ignore[union-attr]


def test_server_killed_and_restarted_mid_run_is_survived(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a running poller WHEN the server is killed (kill -9) and comes back
    THEN the poller notices at once, reconnects, and records new mail exactly once."""
    require_or_skip(DOVECOT_BINARY)
    queued: list[int] = []
    with (
        DovecotServer() as server,
        # Renewal well past the waits below: the mail must be seen by IDLE itself.
        Service(make_poller(server, tmp_path, factory, queued, imap_idle_seconds=120)) as poller,
    ):
        server.append(mail())
        wait_until(lambda: len(queued) == 1 and poller.status == "idle", 10, "first mail")

        server.kill()
        # Well before imap_idle_seconds (10): the closed socket ends IDLE.
        wait_until(lambda: poller.status != "idle", 3, "the poller to notice")
        server.restart()
        server.append(mail())
        # Usually under a second. A mail delivered as the new connection begins IDLE
        # is announced in the packet that carries '+ idling' (seen under load, 3 runs
        # in 10): it must be taken from the client's buffer, not waited for.
        wait_until(lambda: len(queued) == 2, 15, "the poller to reconnect and record")

    assert count(factory, InboundMail) == 2
    assert count(factory, MailboxItem) == 2


class FreezableProxy:
    """A TCP relay to a server that can go silent: connections stay open, bytes stop,
    like a NAT box or firewall that forgot the connection. New connections still work."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self._frozen: set[int] = set()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze_open_connections(self) -> None:
        self._frozen.update(range(1, self.connections + 1))

    def close(self) -> None:
        self.listener.close()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += 1
            self._sockets += [downstream, upstream]
            for src, dst in ((downstream, upstream), (upstream, downstream)):
                args = (src, dst, self.connections)
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, number: int) -> None:
        try:
            while data := src.recv(65536):
                if number not in self._frozen:
                    dst.sendall(data)
        except OSError:
            return


@pytest.mark.slow
def test_silently_dead_connection_is_replaced_by_the_idle_renewal(
    dovecot: DovecotServer, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a connection that goes silent while idling (no FIN, no RST)
    WHEN mail arrives THEN the poller finds the dead line when it renews IDLE
    (DONE times out), reconnects and records the mail: silence is not "no news"."""
    proxy = FreezableProxy(dovecot.port)
    queued: list[int] = []
    poller = make_poller(
        dovecot, tmp_path, factory, queued, imap_port=proxy.port, imap_timeout_seconds=1
    )
    try:
        with Service(poller) as service:
            wait_until(lambda: service.status == "idle", 10, "the poller to idle")
            proxy.freeze_open_connections()
            dovecot.append(mail())

            wait_until(lambda: len(queued) == 1, 20, "the poller to reconnect and record")
    finally:
        proxy.close()
    assert proxy.connections >= 2


class RotatingTokens:
    """A token provider whose cached token was revoked: the fresh one works."""

    def __init__(self, stale: str, fresh: str) -> None:
        self.current = stale
        self.fresh = fresh
        self.invalidated = 0

    def token(self) -> str:
        return self.current

    def invalidate(self) -> None:
        self.invalidated += 1
        self.current = self.fresh


@pytest.mark.slow
def test_xoauth2_login_retries_once_with_a_fresh_token(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    """GIVEN a revoked cached token WHEN logging in with XOAUTH2 THEN the poller asks for a
    fresh token once and records the mail (Dovecot checks the token like a password)."""
    require_or_skip(DOVECOT_BINARY)
    # Its own server: Dovecot slows every later login from the same IP after a failure.
    with DovecotServer() as server:
        server.append(mail())
        tokens = RotatingTokens(stale="revoked-token", fresh=server.password)
        queued: list[int] = []
        poller = ImapPoller(
            settings=imap_settings(server, tmp_path, imap_password=SecretStr("")),
            session_factory=factory,
            enqueue=queued.extend,
            holder="oauth",
            token_provider=tokens,
        )

        new = poller.poll_once()

    assert len(new) == 1 and queued == new
    assert tokens.invalidated == 1
