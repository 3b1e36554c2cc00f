"""The watched scan folder (``var/scans/``): files dropped by a mailroom scanner.

Same rule as the mail folder: a file is stored and recorded as a scan job and
committed first, and only then moved to ``done/`` inside the folder, never deleted
(:mod:`workers.watched_folder`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.mail.message import MailAttachment
from pipeline.scans.detect import is_scan_file
from pipeline.scans.record import record_scan
from workers.watched_folder import WatchedFolder


class ScanFolderPoller(WatchedFolder):
    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        enqueue: Callable[[list[int]], None],
        holder: str,
    ) -> None:
        folder = Path(settings.scans_dir)
        super().__init__(folder=folder, handled=folder / "done",
                         lease_name=f"scans://{folder.resolve()}",
                         session_factory=session_factory, enqueue=enqueue, holder=holder,
                         interval=settings.scan_poll_seconds,
                         lease_seconds=settings.lease_seconds)
        self.settings = settings

    def record(self, payload: bytes, name: str) -> int | None:
        """Store the file as a one-page scan job; its id if the bytes are new."""
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if not is_scan_file(name, kind):
            kind = "application/octet-stream"  # still recorded: the OCR job gives the reason
        page = MailAttachment(filename=name[:255], content_type=kind, payload=payload)
        with self.factory() as session, session.begin():
            recorded = record_scan(
                session, settings=self.settings, pages=[page], source=f"scan folder/{name}"
            )
        return recorded.scan_id if recorded.is_new else None
