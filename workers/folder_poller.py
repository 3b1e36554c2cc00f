"""The embedded mode's mailbox: a folder of .eml files watched like an IMAP inbox.

Same rule as IMAP: a file is recorded in the ledger and committed first, and only
then moved out of the inbox (to ``recorded/`` beside it), never deleted
(:mod:`workers.watched_folder`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from pipeline.mailbox.ledger import record_mail
from workers.watched_folder import WatchedFolder


class FolderPoller(WatchedFolder):
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
        mailbox_key: str = "default",
    ) -> None:
        super().__init__(folder=inbox, handled=inbox.parent / "recorded", lease_name=mailbox_name,
                         session_factory=session_factory, enqueue=enqueue, holder=holder,
                         interval=interval, lease_seconds=lease_seconds)
        self.mailbox_name = mailbox_name
        self.mailbox_key = mailbox_key

    def record(self, payload: bytes, name: str) -> int | None:
        """Record the mail in the ledger; its ledger id if the bytes are new."""
        with self.factory() as session, session.begin():
            result = record_mail(session, raw=payload, source=f"{self.mailbox_name}/{name}",
                                 mailbox_key=self.mailbox_key)
        return result.inbound_id if result.is_new else None
