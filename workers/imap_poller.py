"""The IMAP poller: watches one mailbox folder and records every mail in the ledger.

The rules it follows (reliability-cases.md, "IMAP"):

- UIDs only, and ``BODY.PEEK[]``: a person reading the mailbox in Outlook must never
  hide mail from us, and we never mark their mail read. The to-do list is the UID
  watermark in the ledger, never UNSEEN.
- A mail is ours once its raw bytes and ledger row are *committed*; only then is it
  flagged or moved on the server. A crash in between leaves it "unsettled" in the
  ledger, and the next pass only flags or moves it. Nothing is deleted: MOVE, or
  COPY then ``UID EXPUNGE`` of exactly the copied UIDs (a plain EXPUNGE would also
  remove mail other clients marked ``\\Deleted``).
- IDLE is only a wake-up hint: it is re-issued at least every ``imap_idle_seconds``,
  the socket has a timeout (a dead connection can look like "no news"), and every
  wake-up and reconnect runs a full catch-up.
- Only the holder of the mailbox lease polls; standbys wait and take over.
- Logs carry counts and UIDs, never passwords, tokens or mail content.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.orm import Session, sessionmaker

from config.plaintext import refuse_plaintext
from config.settings import Settings
from pipeline.leases import release, try_acquire
from pipeline.mailbox.ledger import (
    get_watermark,
    known_uids,
    mark_settled,
    record_mails,
    set_watermark,
    unsettled_uids,
)
from pipeline.ops.polls import PollRecorder
from workers.backoff import Backoff
from workers.imap_mail import (
    BROKEN_CONNECTION,
    RECORDED_KEYWORD,
    MailFetcher,
    ServerMarker,
    error_fields,
    uid_ranges,
)

__all__ = ["RECORDED_KEYWORD", "ImapPoller", "LeaseLost", "TokenSource"]

log = logging.getLogger(__name__)

BATCH_SIZE = 50
SETTLE_CHUNK = 200
WAIT_SLICE_SECONDS = 0.5  # how often stop and the lease are looked at while waiting

Status = Literal[
    "new", "standby", "connecting", "catching-up", "idle", "polling", "backoff", "stopped"
]


class TokenSource(Protocol):
    """What the poller needs of an OAuth2 token provider (XOAUTH2 for Gmail, Microsoft)."""

    def token(self) -> str: ...

    def invalidate(self) -> None: ...


class LeaseLost(Exception):
    """Another poller holds the mailbox now; this one stands by."""


@dataclass
class _Pass:
    """The state of one catch-up pass over the folder."""

    uidvalidity: int
    watermark: int
    hold: int | None = None  # lowest UID to retry next pass: the watermark stays below it
    new_ids: list[int] = field(default_factory=list)

    def mark_after(self, batch: list[int]) -> int:
        """The watermark once this batch is committed."""
        top = max(batch) if self.hold is None else min(max(batch), self.hold - 1)
        return max(self.watermark, top)

    def retry_later(self, uid: int) -> None:
        self.hold = uid if self.hold is None else min(self.hold, uid)


class ImapPoller:
    """Records every mail of ``settings.imap_folder`` in the ledger, exactly once."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        enqueue: Callable[[list[int]], None],
        holder: str,
        token_provider: TokenSource | None = None,
        backoff: Backoff | None = None,
        mailbox_key: str = "default",
    ) -> None:
        if settings.imap_done_folder and settings.imap_done_folder == settings.imap_folder:
            # Moving mail into the watched folder would record and move it forever.
            raise ValueError("imap_done_folder must differ from imap_folder")
        self.settings = settings
        self.factory = session_factory
        self.enqueue = enqueue
        self.holder = holder
        self.tokens = token_provider
        self.mailbox = settings.mailbox_name
        self.mailbox_key = mailbox_key  # the configured mailbox (config/mailboxes.py)
        self._backoff = backoff or Backoff()
        self._status: Status = "new"
        self._renewed_at: float | None = None
        self._fetcher = MailFetcher(max_mail_bytes=settings.max_mail_bytes)
        self._marker = ServerMarker(done_folder=settings.imap_done_folder)
        self._polls = PollRecorder(session_factory, self.mailbox)

    @property
    def status(self) -> Status:
        """What the poller is doing now (for health checks and tests)."""
        return self._status

    # The service loop -----------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Serve the mailbox while holding its lease, until ``stop`` is set."""
        try:
            while not stop.is_set():
                self._serve_or_stand_by(stop)
        finally:
            self._status = "stopped"
            try:
                release(self.factory, name=self.mailbox, holder=self.holder)
            except Exception as err:  # noqa: BLE001 - the lease then simply expires
                log.warning("could not release the mailbox lease", extra=error_fields(err))

    def _serve_or_stand_by(self, stop: threading.Event) -> None:
        try:
            if not self._renew_lease(force=True):
                self._status = "standby"
                stop.wait(self.settings.lease_seconds / 3)
                return
            self._serve(stop)
        except LeaseLost:
            log.warning("mailbox lease lost to another poller; standing by")
        except Exception as err:  # noqa: BLE001 - the service must outlive any one failure
            self._wait_after_failure(err, stop)

    def _wait_after_failure(self, err: Exception, stop: threading.Event) -> None:
        """Back off (jittered, doubling) before reconnecting; ``stop`` cuts the wait short."""
        delay = self._backoff.next()
        self._status = "backoff"
        self._polls.failure(type(err).__name__)
        fields = {"retry_in_s": round(delay, 2), **error_fields(err)}
        if isinstance(err, LoginError):
            # The server's refusal text is safe to show; our password or token never is.
            log.error("IMAP login refused", extra={"reply": str(err)[:200], **fields})
        elif isinstance(err, BROKEN_CONNECTION):
            log.warning("IMAP connection lost; reconnecting", extra=fields)
        elif type(err) is IMAPClientError:
            # A plain NO/BAD: the text is the server's (say, an unknown folder name).
            log.error("IMAP server refused a command", extra={"reply": str(err)[:200], **fields})
        elif isinstance(err, IMAPClientError):
            log.warning("IMAP protocol error; reconnecting", extra=fields)
        else:
            # Only the type: database errors can quote their parameters (mail bytes).
            log.error("IMAP poller pass failed; retrying", extra=fields)
            log.debug("poller failure detail", exc_info=True)
        stop.wait(delay)

    def _serve(self, stop: threading.Event) -> None:
        """One connection: catch up, wait for news, catch up again, until it fails."""
        client = self._connect()
        clean = False
        try:
            can_idle = client.has_capability("IDLE")
            after_news = False
            while not stop.is_set():
                found = self._catch_up(client, stop)
                self._polls.success()
                self._backoff.reset()
                if stop.is_set():
                    break
                # News announced in an answer during the catch-up, not in IDLE: catch up
                # again. Not twice running for nothing: a server that repeats its count
                # in every answer would keep the poller from ever idling.
                if _news_arrived(client) and (found or not after_news):
                    after_news = True
                    self._hold_lease()
                    continue
                after_news = False
                if can_idle:
                    self._idle(client, stop)
                else:
                    self._wait_polling(stop)
            clean = True
        finally:
            _disconnect(client, clean=clean)

    def _idle(self, client: IMAPClient, stop: threading.Event) -> None:
        """IDLE until the server says anything, or imap_idle_seconds pass."""
        self._status = "idle"
        deadline = time.monotonic() + self.settings.imap_idle_seconds
        client.idle()
        try:
            while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if _idle_woke(client, min(WAIT_SLICE_SECONDS, remaining)):
                    break
                self._hold_lease()
        except LeaseLost:
            client.idle_done()
            raise
        # DONE waits for the server's answer under the socket timeout: a connection
        # that died silently during IDLE is found here at the latest.
        client.idle_done()

    def _wait_polling(self, stop: threading.Event) -> None:
        """Without IDLE: wait imap_poll_seconds; the catch-up that follows is the poll."""
        self._status = "polling"
        deadline = time.monotonic() + self.settings.imap_poll_seconds
        while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
            stop.wait(min(WAIT_SLICE_SECONDS, remaining))
            self._hold_lease()

    def _renew_lease(self, *, force: bool = False) -> bool:
        """Renew the lease every third of its period (or now, when forced)."""
        now = time.monotonic()
        period = self.settings.lease_seconds
        if not force and self._renewed_at is not None and now - self._renewed_at < period / 3:
            return True
        held = try_acquire(self.factory, name=self.mailbox, holder=self.holder, seconds=period)
        self._renewed_at = now if held else None
        return held

    def _hold_lease(self) -> None:
        if not self._renew_lease():
            raise LeaseLost

    # Connecting -----------------------------------------------------------------------

    def poll_once(self) -> list[int]:
        """Connect, run one full catch-up, log out; return the new ledger ids.

        It takes no lease (``run`` does): a one-off pass next to a running service is
        still safe, as the ledger's unique keys refuse to record a mail twice.
        """
        client = self._connect()
        clean = False
        try:
            new_ids = self._catch_up(client, None)
            clean = True
            return new_ids
        finally:
            _disconnect(client, clean=clean)

    def _connect(self) -> IMAPClient:
        settings = self.settings
        self._status = "connecting"
        # Verify certificate and host name: the password or token travels on this line.
        context = ssl.create_default_context() if settings.imap_ssl else None
        client = IMAPClient(
            settings.imap_host,
            port=settings.imap_port,
            ssl=settings.imap_ssl,
            ssl_context=context,
            timeout=settings.imap_timeout_seconds,
        )
        try:
            if settings.imap_starttls and not settings.imap_ssl:
                # Upgrade a plain connection before any password or token is sent.
                client.starttls(ssl.create_default_context())
            self._login(client)
        except BaseException:
            _disconnect(client, clean=False)
            raise
        self._marker.connected()
        return client

    def _login(self, client: IMAPClient) -> None:
        settings = self.settings
        user = settings.imap_user
        refuse_plaintext("IMAP", settings.imap_host, allowed=settings.allow_plaintext_login,
                         encrypted=settings.imap_ssl or settings.imap_starttls)
        if self.tokens is None:
            client.login(user, self.settings.imap_password.get_secret_value())
            return
        try:
            client.oauth2_login(user, self.tokens.token())
        except LoginError:
            # The access token may have been revoked or expired early: one fresh token.
            log.info("XOAUTH2 login refused; retrying once with a fresh token")
            self.tokens.invalidate()
            client.oauth2_login(user, self.tokens.token())

    # One catch-up pass ----------------------------------------------------------------

    def _catch_up(self, client: IMAPClient, stop: threading.Event | None) -> list[int]:
        """Settle what an interruption left, then record every mail above the watermark.

        ``stop`` is given by the service loop: it is then checked, and the lease
        renewed, between batches, so a long backlog neither delays a shutdown nor
        outlives the lease.
        """
        self._status = "catching-up"
        current = self._open_folder(client)
        self._settle_pending(client, current.uidvalidity)
        found = client.search(["UID", f"{current.watermark + 1}:*"])
        # "UID SEARCH UID n:*" also answers the highest UID when that is below n.
        uids = sorted(uid for uid in found if uid > current.watermark)
        for start in range(0, len(uids), BATCH_SIZE):
            if stop is not None:
                if stop.is_set():
                    break
                self._hold_lease()
            self._take_batch(client, current, uids[start : start + BATCH_SIZE])
        if current.new_ids:
            log.info("new mail recorded", extra={"count": len(current.new_ids)})
        return current.new_ids

    def _open_folder(self, client: IMAPClient) -> _Pass:
        """SELECT the folder (read-write) and read the watermark for its UIDVALIDITY."""
        info = client.select_folder(self.settings.imap_folder, readonly=False)
        _news_arrived(client)  # the SELECT's own count: this pass searches what it counts
        if b"UIDVALIDITY" not in info:
            raise IMAPClientError("the server sent no UIDVALIDITY")
        uidvalidity = int(info[b"UIDVALIDITY"])
        self._marker.check_folder(info)
        with self.factory() as session, session.begin():
            stored, last_uid = get_watermark(session, mailbox=self.mailbox)
            if stored != uidvalidity:
                if stored:
                    # Every UID changed meaning (a restored or rebuilt mailbox): rescan it
                    # all; the ledger's content hash keeps known mail from counting twice.
                    log.warning(
                        "UIDVALIDITY changed; rescanning the whole folder",
                        extra={"old_uidvalidity": stored, "new_uidvalidity": uidvalidity},
                    )
                set_watermark(session, mailbox=self.mailbox, uidvalidity=uidvalidity, last_uid=0)
                last_uid = 0
        return _Pass(uidvalidity=uidvalidity, watermark=last_uid)

    def _take_batch(self, client: IMAPClient, current: _Pass, batch: list[int]) -> None:
        """Record a batch in one transaction, commit, nudge the queue, then settle it."""
        with self.factory() as session:
            known = known_uids(
                session, mailbox=self.mailbox, uidvalidity=current.uidvalidity, uids=batch
            )
        fetched = self._fetcher.fetch(
            client, current.uidvalidity, [uid for uid in batch if uid not in known]
        )
        for uid in fetched.retry:
            current.retry_later(uid)
        new_ids, recorded = self._record(current, fetched.bodies, current.mark_after(batch))
        current.new_ids += new_ids
        self._enqueue(new_ids)
        self._settle(client, current.uidvalidity, recorded)

    def _record(
        self, current: _Pass, bodies: dict[int, bytes], mark: int
    ) -> tuple[list[int], list[int]]:
        """Commit the mails and the new watermark together; return (new ids, UIDs)."""
        new_ids: list[int] = []
        recorded: list[int] = []
        if not bodies and mark == current.watermark:
            return new_ids, recorded
        with self.factory() as session, session.begin():
            results = record_mails(session, bodies, source=self.mailbox, mailbox=self.mailbox,
                                   uidvalidity=current.uidvalidity,
                                   mailbox_key=self.mailbox_key)
            for uid, result in sorted(results.items()):
                recorded.append(uid)
                if result.is_new:
                    new_ids.append(result.inbound_id)
            set_watermark(
                session, mailbox=self.mailbox, uidvalidity=current.uidvalidity, last_uid=mark
            )
        current.watermark = mark
        return new_ids, recorded

    def _enqueue(self, inbound_ids: list[int]) -> None:
        """Nudge the workers once per committed batch; the database stays the truth."""
        if not inbound_ids:
            return
        try:
            self.enqueue(list(inbound_ids))
        except Exception as err:  # noqa: BLE001 - committed already; the sweep re-sends it
            log.warning(
                "enqueue failed; the sweep will re-send the mail",
                extra={"inbound_ids": uid_ranges(inbound_ids), **error_fields(err)},
            )

    # Settling on the server: only after the commit --------------------------------------

    def _settle_pending(self, client: IMAPClient, uidvalidity: int) -> None:
        """Flag or move mail committed before a crash or a failed settle."""
        with self.factory() as session:
            pending = unsettled_uids(session, mailbox=self.mailbox, uidvalidity=uidvalidity)
        if pending:
            log.info("settling mail recorded earlier", extra={"uids": uid_ranges(pending)})
            self._settle(client, uidvalidity, pending)

    def _settle(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> None:
        for start in range(0, len(uids), SETTLE_CHUNK):
            chunk = uids[start : start + SETTLE_CHUNK]
            try:
                self._marker.mark(client, chunk)
            except BROKEN_CONNECTION:
                raise
            except IMAPClientError as err:
                # Recorded, and untouched on the server: the next pass tries again.
                log.warning(
                    "could not flag or move recorded mail",
                    extra={"uids": uid_ranges(chunk), **error_fields(err)},
                )
                return
            with self.factory() as session, session.begin():
                mark_settled(session, mailbox=self.mailbox, uidvalidity=uidvalidity, uids=chunk)


def _news_arrived(client: IMAPClient) -> bool:
    """True when the server announced new mail (EXISTS) since this was last asked.

    A mail that lands while the poller runs other commands is announced in the answer
    to one of them, and a server does not repeat the news when IDLE begins: without
    this check it would wait out ``imap_idle_seconds``. imapclient does not hand
    these lines back, so they are taken from imaplib's store of untagged answers
    (``IMAP4.response`` also clears them).
    """
    _typ, counts = client._imap.response("EXISTS")
    client._imap.response("RECENT")
    return any(count is not None for count in counts)


def _idle_woke(client: IMAPClient, wait: float) -> bool:
    """Wait up to ``wait`` seconds in IDLE; True when the server said something.

    imapclient's ``idle_check`` swallows EOF and returns nothing, so a server that
    closed the connection would look like endless silence. An empty answer long
    before the timeout means the socket was readable without a response (EOF, a
    partial line): count it as a wake-up, and let DONE find out what it was.
    """
    if _unread_answer_held(client):
        return True
    began = time.monotonic()
    responses = client.idle_check(timeout=wait)
    return bool(responses) or time.monotonic() - began < wait / 2


def _unread_answer_held(client: IMAPClient) -> bool:
    """True when the client has read bytes from the socket that nobody has parsed yet.

    Dovecot sends the news of a mail delivered as IDLE begins right behind its
    ``+ idling``, often in the same packet. imaplib reads that continuation through a
    buffered file, which takes the ``* n EXISTS`` line along into its buffer; the
    socket then has nothing more to read, and ``idle_check`` (which only watches the
    socket) waits out the whole of ``imap_idle_seconds`` with the news in memory.
    Seen under load in 3 runs of 10 of the restart test, and with a scripted server
    every time.
    """
    imap = client._imap
    held = getattr(imap, "_readbuf", None)  # Python 3.14's imaplib keeps its own buffer
    if isinstance(held, bytes | bytearray):
        return bool(held)
    sock = client.socket()
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True  # decrypted, not yet taken by the buffered file
    peek = getattr(getattr(imap, "file", None), "peek", None)
    if peek is None:
        return False
    timeout = sock.gettimeout()
    sock.setblocking(False)  # peek then reads the socket only if it can without waiting
    try:
        return bool(peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(timeout)


def _disconnect(client: IMAPClient, *, clean: bool) -> None:
    """LOGOUT after success; after a failure only close (a dead peer would stall LOGOUT)."""
    with contextlib.suppress(Exception):
        if clean:
            client.logout()
        else:
            client.shutdown()
