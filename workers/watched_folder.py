"""A folder that files are dropped into: each is recorded once, then moved aside.

The rule every watched folder keeps: a file is recorded in the database and
committed first, and only then moved to the folder for handled files, never
deleted. A crash in between leaves the file in place; the next pass recognises its
bytes (the recording is idempotent) and just moves it. Writers should create files
under a temporary name (dot-prefixed or ending in ``.tmp``) and rename them when
complete, as mail delivery agents do with Maildir.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from pipeline.leases import release, try_acquire
from pipeline.ops.polls import PollRecorder

log = logging.getLogger(__name__)


class WatchedFolder(ABC):
    """Polls ``folder`` while holding a lease, so only one process takes its files."""

    def __init__(
        self,
        *,
        folder: Path,
        handled: Path,
        lease_name: str,
        session_factory: sessionmaker[Session],
        enqueue: Callable[[list[int]], None],
        holder: str,
        interval: float,
        lease_seconds: float,
    ) -> None:
        self.folder = folder
        self.handled = handled
        self.lease_name = lease_name
        self.factory = session_factory
        self.enqueue = enqueue
        self.holder = holder
        self.interval = interval
        self.lease_seconds = lease_seconds
        self._polls = PollRecorder(session_factory, lease_name)

    @abstractmethod
    def record(self, payload: bytes, name: str) -> int | None:
        """Record one file in the database (idempotently); the id if it is new."""

    def poll_once(self) -> list[int]:
        """Record every waiting file; return the ids of the new ones (already nudged)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.handled.mkdir(parents=True, exist_ok=True)
        new_ids = []
        for path in self._waiting_files():
            try:
                new_id = self.record(path.read_bytes(), path.name)
                os.replace(path, self._destination(path.name))
            except OSError:
                log.exception("could not read a dropped file", extra={"file": path.name})
                continue
            if new_id is not None:
                new_ids.append(new_id)
        if new_ids:
            self.enqueue(new_ids)
        return new_ids

    def _waiting_files(self) -> list[Path]:
        names = sorted(
            entry.name
            for entry in os.scandir(self.folder)
            if entry.is_file()
            and not entry.name.startswith(".")
            and not entry.name.endswith(".tmp")
        )
        return [self.folder / name for name in names]

    def _destination(self, name: str) -> Path:
        target = self.handled / name
        counter = 1
        while target.exists():
            target = self.handled / f"{counter}-{name}"
            counter += 1
        return target

    def run(self, stop: threading.Event) -> None:
        """Poll while holding the folder's lease; stand by while another poller holds it."""
        try:
            while not stop.is_set():
                # Any failure, the database being down included, costs one pass, never
                # the poller thread: it must be polling again when the database is back.
                try:
                    if try_acquire(self.factory, name=self.lease_name, holder=self.holder,
                                   seconds=self.lease_seconds):
                        self.poll_once()
                        self._polls.success()
                except Exception as exc:
                    log.exception("folder poll failed", extra={"folder": str(self.folder)})
                    self._polls.failure(type(exc).__name__)
                stop.wait(self.interval)
        finally:
            try:
                release(self.factory, name=self.lease_name, holder=self.holder)
            except Exception:  # the lease then simply expires
                log.warning("could not release the folder lease", exc_info=True)
