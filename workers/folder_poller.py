"""The embedded mode's mailbox: a folder of .eml files watched like an IMAP inbox.

Same rule as IMAP: a file is recorded in the ledger and committed first, and only
then moved out of the inbox (to ``recorded/`` beside it), never deleted. A crash in
between leaves the file in the inbox; the next pass recognises its bytes and just
moves it. Writers should create files under a temporary name (dot-prefixed or
ending in ``.tmp``) and rename them, as mail delivery agents do with Maildir.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from pipeline.leases import release, try_acquire
from pipeline.mailbox.ledger import record_mail

log = logging.getLogger(__name__)


class FolderPoller:
    def __init__(
        self,
        *,
        inbox: Path,
        mailbox_name: str,
        session_factory: sessionmaker[Session],
        enqueue: Callable[[list[int]], None],
        holder: str,
        interval: float = 0.5,
        lease_seconds: float = 30.0,
    ) -> None:
        self.inbox = inbox
        self.recorded = inbox.parent / "recorded"
        self.mailbox_name = mailbox_name
        self.factory = session_factory
        self.enqueue = enqueue
        self.holder = holder
        self.interval = interval
        self.lease_seconds = lease_seconds

    def poll_once(self) -> list[int]:
        """Record every waiting file; return the ledger ids of new mail."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.recorded.mkdir(parents=True, exist_ok=True)
        new_ids = []
        for path in self._waiting_files():
            try:
                inbound_id = self._record(path)
            except OSError:
                log.exception("could not read mail file", extra={"file": path.name})
                continue
            if inbound_id is not None:
                new_ids.append(inbound_id)
        if new_ids:
            self.enqueue(new_ids)
        return new_ids

    def _waiting_files(self) -> list[Path]:
        names = sorted(
            entry.name
            for entry in os.scandir(self.inbox)
            if entry.is_file()
            and not entry.name.startswith(".")
            and not entry.name.endswith(".tmp")
        )
        return [self.inbox / name for name in names]

    def _record(self, path: Path) -> int | None:
        raw = path.read_bytes()
        with self.factory() as session, session.begin():
            result = record_mail(session, raw=raw, source=f"{self.mailbox_name}/{path.name}")
        os.replace(path, self._destination(path.name))
        return result.inbound_id if result.is_new else None

    def _destination(self, name: str) -> Path:
        target = self.recorded / name
        counter = 1
        while target.exists():
            target = self.recorded / f"{counter}-{name}"
            counter += 1
        return target

    def run(self, stop: threading.Event) -> None:
        """Poll while holding the mailbox lease; stand by while another poller holds it."""
        try:
            while not stop.is_set():
                if try_acquire(
                    self.factory,
                    name=self.mailbox_name,
                    holder=self.holder,
                    seconds=self.lease_seconds,
                ):
                    self._safe_poll()
                stop.wait(self.interval)
        finally:
            release(self.factory, name=self.mailbox_name, holder=self.holder)

    def _safe_poll(self) -> None:
        try:
            self.poll_once()
        except Exception:
            log.exception("mail folder poll failed")
