"""Each mailbox's last successful poll, recorded by its poller for ``/healthz``.

A poller that keeps its lease but cannot reach its server looks alive from outside;
the time of the last *successful* read tells the truth. Writes are throttled per
poller, since a folder is polled twice a second.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.base import utcnow
from pipeline.db.models import MailboxPoll

log = logging.getLogger(__name__)

WRITE_EVERY_SECONDS = 15.0


def record_poll(factory: sessionmaker[Session], mailbox: str, *, error: str = "",
                now: datetime | None = None) -> None:
    """Record a successful read of ``mailbox`` (or, with ``error``, a failed one)."""
    moment = now or utcnow()
    for _ in range(2):  # a concurrent first insert: the second round updates its row
        try:
            with factory() as session, session.begin():
                row = session.get(MailboxPoll, mailbox, with_for_update=True)
                if row is None:
                    row = MailboxPoll(mailbox=mailbox, last_error="")
                    session.add(row)
                if error:
                    row.last_failure_at, row.last_error = moment, error[:500]
                else:
                    row.last_success_at = moment
            return
        except IntegrityError:
            continue


class PollRecorder:
    """A poller's record of its reads, written at most every ``WRITE_EVERY_SECONDS``."""

    def __init__(self, factory: sessionmaker[Session], mailbox: str,
                 every: float = WRITE_EVERY_SECONDS) -> None:
        self._factory = factory
        self._mailbox = mailbox
        self._every = every
        self._written: float | None = None

    def success(self) -> None:
        now = time.monotonic()
        if self._written is not None and now - self._written < self._every:
            return
        self._write("")
        self._written = now

    def failure(self, error: str) -> None:
        self._write(error or "error")
        self._written = None  # the next success is written at once

    def _write(self, error: str) -> None:
        try:
            record_poll(self._factory, self._mailbox, error=error)
        except SQLAlchemyError:  # health bookkeeping must never stop a poller
            log.warning("could not record the mailbox poll", exc_info=True)
