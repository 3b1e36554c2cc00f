"""The IMAP poller: watches one mailbox folder and records every mail in the ledger.

The rules it follows (reliability-cases.md, "IMAP"):
- UIDs only, and ``BODY.PEEK[]`` so a person reading the mailbox in Outlook never
  hides mail from us and we never mark their mail read; the to-do list is the UID
  watermark, never UNSEEN.
- A mail is committed to the ledger *before* it is flagged or moved on the server;
  a crash in between leaves it "unsettled" in the ledger, and the next pass only
  flags or moves it. Nothing is ever deleted, except by MOVE or by COPY followed by
  ``UID EXPUNGE`` of exactly the copied UIDs (a plain EXPUNGE would also remove
  other clients' deleted mail).
- IDLE is only a wake-up hint: it is re-issued at least every ``imap_idle_seconds``,
  the socket has a timeout, and every wake-up and reconnect runs a full catch-up.
- Only the holder of the mailbox lease polls; standbys wait and take over.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.leases import release, try_acquire
from pipeline.mailbox.ledger import (
    get_watermark,
    known_uids,
    mark_settled,
    record_mail,
    set_watermark,
    unsettled_uids,
)
from workers.backoff import Backoff

log = logging.getLogger(__name__)

RECORDED_KEYWORD = "$ComplaintRecorded"
BATCH = 50
IDLE_CHUNK_SECONDS = 1.0
CONNECTION_ERRORS = (OSError, IMAPClientError, socket.timeout, ssl.SSLError, EOFError)


class TokenSource(Protocol):
    def token(self) -> str: ...

    def invalidate(self) -> None: ...


class LeaseLost(Exception):
    """Another poller holds the mailbox now; stop serving it."""


class ImapPoller:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        enqueue: Callable[[list[int]], None],
        holder: str,
        token_provider: TokenSource | None = None,
    ) -> None:
        self.settings = settings
        self.factory = session_factory
        self.enqueue = enqueue
        self.holder = holder
        self.tokens = token_provider
        self.mailbox = settings.mailbox_name
        self._renewed_at = 0.0

    # The service loop -----------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Serve the mailbox while holding its lease, reconnecting with backoff."""
        backoff = Backoff()
        try:
            while not stop.is_set():
                if not self._renew(force=True):
                    stop.wait(self.settings.lease_seconds / 3)
                    continue
                try:
                    with self._connect() as client:
                        self._serve(client, stop, backoff)
                except LeaseLost:
                    log.warning("lost the mailbox lease; standing by")
                except CONNECTION_ERRORS as err:
                    delay = backoff.next()
                    log.warning(
                        "IMAP connection failed; reconnecting",
                        extra={"error": type(err).__name__, "retry_in_s": round(delay, 1)},
                    )
                    stop.wait(delay)
        finally:
            release(self.factory, name=self.mailbox, holder=self.holder)

    def _serve(self, client: IMAPClient, stop: threading.Event, backoff: Backoff) -> None:
        idle = b"IDLE" in client.capabilities()
        while not stop.is_set():
            self._catch_up(client)
            backoff.reset()
            if idle:
                self._idle(client, stop)
            else:
                self._wait_polling(client, stop)

    def _idle(self, client: IMAPClient, stop: threading.Event) -> None:
        """Wait for the server to announce news, at most imap_idle_seconds."""
        client.idle()
        try:
            deadline = time.monotonic() + self.settings.imap_idle_seconds
            while not stop.is_set() and time.monotonic() < deadline:
                if client.idle_check(timeout=IDLE_CHUNK_SECONDS):
                    return
                if not self._renew():
                    raise LeaseLost
        finally:
            client.idle_done()

    def _wait_polling(self, client: IMAPClient, stop: threading.Event) -> None:
        deadline = time.monotonic() + self.settings.imap_poll_seconds
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(min(IDLE_CHUNK_SECONDS, max(0.0, deadline - time.monotonic())))
            if not self._renew():
                raise LeaseLost
        client.noop()

    def _renew(self, *, force: bool = False) -> bool:
        """Renew the lease every third of its period (or now, when forced)."""
        now = time.monotonic()
        if not force and now - self._renewed_at < self.settings.lease_seconds / 3:
            return True
        held = try_acquire(
            self.factory, name=self.mailbox, holder=self.holder, seconds=self.settings.lease_seconds
        )
        if held:
            self._renewed_at = now
        return held

    # One pass -------------------------------------------------------------------------

    def poll_once(self) -> list[int]:
        """Connect, run one full catch-up, disconnect; returns the new ledger ids."""
        with self._connect() as client:
            return self._catch_up(client)

    def _connect(self) -> IMAPClient:
        settings = self.settings
        client = IMAPClient(
            settings.imap_host,
            port=settings.imap_port,
            ssl=settings.imap_ssl,
            timeout=settings.imap_timeout_seconds,
        )
        try:
            self._login(client)
        except Exception:
            _quietly_close(client)
            raise
        return client

    def _login(self, client: IMAPClient) -> None:
        settings = self.settings
        if self.tokens is None:
            client.login(settings.imap_user, settings.imap_password.get_secret_value())
            return
        try:
            client.oauth2_login(settings.imap_user, self.tokens.token())
        except IMAPClientError:
            # An expired or revoked token: fetch a fresh one once before giving up.
            self.tokens.invalidate()
            client.oauth2_login(settings.imap_user, self.tokens.token())

    def _catch_up(self, client: IMAPClient) -> list[int]:
        info = client.select_folder(self.settings.imap_folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        last_uid = self._watermark(uidvalidity)
        self._settle_pending(client, uidvalidity)
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        new_ids: list[int] = []
        for start in range(0, len(uids), BATCH):
            new_ids += self._take_batch(client, uidvalidity, uids[start : start + BATCH])
        if new_ids:
            log.info("mail recorded", extra={"count": len(new_ids)})
        return new_ids

    def _watermark(self, uidvalidity: int) -> int:
        with self.factory() as session:
            stored_validity, last_uid = get_watermark(session, mailbox=self.mailbox)
        if stored_validity == uidvalidity:
            return last_uid
        if stored_validity:
            log.warning(
                "UIDVALIDITY changed; rescanning the folder",
                extra={"old": stored_validity, "new": uidvalidity},
            )
        return 0

    def _take_batch(self, client: IMAPClient, uidvalidity: int, batch: list[int]) -> list[int]:
        """Record a batch, commit, nudge the queue, then flag or move it on the server."""
        bodies = self._fetch(client, batch)
        new_ids: list[int] = []
        recorded: list[int] = []
        with self.factory() as session, session.begin():
            known = known_uids(session, mailbox=self.mailbox, uidvalidity=uidvalidity, uids=batch)
            for uid in batch:
                raw = bodies.get(uid)
                if uid in known or raw is None:
                    continue
                result = record_mail(
                    session,
                    raw=raw,
                    source=self.mailbox,
                    mailbox=self.mailbox,
                    uidvalidity=uidvalidity,
                    uid=uid,
                )
                recorded.append(uid)
                if result.is_new:
                    new_ids.append(result.inbound_id)
            set_watermark(
                session, mailbox=self.mailbox, uidvalidity=uidvalidity, last_uid=max(batch)
            )
        if new_ids:
            self.enqueue(new_ids)
        self._settle(client, uidvalidity, recorded)
        return new_ids

    def _fetch(self, client: IMAPClient, batch: list[int]) -> dict[int, bytes]:
        """BODY.PEEK[] in one round trip; a mail over the size limit is fetched alone."""
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        limit = self.settings.max_mail_bytes
        small = [u for u in batch if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0)) <= limit]
        big = [u for u in batch if u in sizes and u not in small]
        bodies = _bodies(client.fetch(small, ["BODY.PEEK[]"])) if small else {}
        for uid in big:
            try:
                bodies.update(_bodies(client.fetch([uid], ["BODY.PEEK[]"])))
            except IMAPClientError:
                log.exception("could not fetch a large mail", extra={"uid": uid})
        missing = [u for u in batch if u not in bodies]
        if missing:
            log.warning("mail vanished before it could be fetched", extra={"uids": missing})
        return bodies

    # Settling on the server: only after the commit ---------------------------------

    def _settle_pending(self, client: IMAPClient, uidvalidity: int) -> None:
        with self.factory() as session:
            pending = unsettled_uids(session, mailbox=self.mailbox, uidvalidity=uidvalidity)
        if pending:
            log.info("settling mail recorded before a crash", extra={"count": len(pending)})
            self._settle(client, uidvalidity, pending)

    def _settle(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> None:
        if not uids:
            return
        done = self.settings.imap_done_folder
        if done:
            self._move(client, uids, done)
        else:
            client.add_flags(uids, [RECORDED_KEYWORD], silent=True)
        with self.factory() as session, session.begin():
            mark_settled(session, mailbox=self.mailbox, uidvalidity=uidvalidity, uids=uids)

    def _move(self, client: IMAPClient, uids: list[int], folder: str) -> None:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        if b"MOVE" in client.capabilities():
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        # UID EXPUNGE (UIDPLUS) removes exactly these UIDs, never other clients' mail.
        client.uid_expunge(uids)


def _bodies(fetched: dict[int, dict[bytes, Any]]) -> dict[int, bytes]:
    return {uid: data[b"BODY[]"] for uid, data in fetched.items() if b"BODY[]" in data}


def _quietly_close(client: IMAPClient) -> None:
    with contextlib.suppress(*CONNECTION_ERRORS):
        client.shutdown()
