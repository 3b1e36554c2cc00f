"""The watched scan folder (``var/scans/``): files dropped by a mailroom scanner.

Same rule as the mail folder: a file is stored and recorded as a scan job and
committed first, and only then moved to ``done/`` inside the folder, never deleted.
A crash in between leaves the file in place; the next pass recognises its bytes and
just moves it. Writers should create files under a temporary name (dot-prefixed or
ending in ``.tmp``) and rename them when complete.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.intake.message import MailAttachment
from pipeline.leases import release, try_acquire
from pipeline.scans.detect import is_scan_file
from pipeline.scans.record import record_scan

log = logging.getLogger(__name__)


class ScanFolderPoller:
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        enqueue: Callable[[list[int]], None],
        holder: str,
    ) -> None:
        self.settings = settings
        self.folder = Path(settings.scans_dir)
        self.done = self.folder / "done"
        self.factory = session_factory
        self.enqueue = enqueue
        self.holder = holder
        self.lease_name = f"scans://{self.folder.resolve()}"

    def poll_once(self) -> list[int]:
        """Record every waiting file; return the new scan ids (already nudged)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.done.mkdir(parents=True, exist_ok=True)
        new_ids = []
        for path in self._waiting_files():
            try:
                scan_id = self._record(path)
            except OSError:
                log.exception("could not read scan file", extra={"file": path.name})
                continue
            if scan_id is not None:
                new_ids.append(scan_id)
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

    def _record(self, path: Path) -> int | None:
        payload = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not is_scan_file(path.name, kind):
            kind = "application/octet-stream"  # still recorded: the OCR job gives the reason
        page = MailAttachment(filename=path.name[:255], content_type=kind, payload=payload)
        with self.factory() as session, session.begin():
            recorded = record_scan(
                session, settings=self.settings, pages=[page], source=f"scan folder/{path.name}"
            )
        os.replace(path, self._destination(path.name))
        return recorded.scan_id if recorded.is_new else None

    def _destination(self, name: str) -> Path:
        target = self.done / name
        counter = 1
        while target.exists():
            target = self.done / f"{counter}-{name}"
            counter += 1
        return target

    def run(self, stop: threading.Event) -> None:
        """Poll while holding the folder's lease; stand by while another poller holds it."""
        try:
            while not stop.is_set():
                if try_acquire(
                    self.factory,
                    name=self.lease_name,
                    holder=self.holder,
                    seconds=self.settings.lease_seconds,
                ):
                    try:
                        self.poll_once()
                    except Exception:
                        log.exception("scan folder poll failed")
                stop.wait(self.settings.scan_poll_seconds)
        finally:
            release(self.factory, name=self.lease_name, holder=self.holder)
