"""The per-process runtime: settings, database, broker, actors and transports.

Built once by an entry point (:mod:`workers.app`) and installed here, so thin actors
can find it without importing anything at module import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dramatiq import Actor, Broker
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.outbound.transport import MailTransport

if TYPE_CHECKING:
    from workers.actors import Actors

log = logging.getLogger(__name__)

# Mails per processing job: large enough to share a transaction, small enough that a
# batch that fails and falls back to one-by-one costs little.
BATCH_SIZE = 20


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    broker: Broker
    make_transport: Callable[[], MailTransport]
    actors: Actors | None = None
    _local: threading.local = field(default_factory=threading.local)
    intake_gate: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        # Intake transactions of one process run this many at a time (the setting says
        # why); a thread waiting here holds its queue message, which the broker hands
        # to another worker if this process dies.
        self.intake_gate = threading.BoundedSemaphore(self.settings.intake_concurrency)

    def transport(self) -> MailTransport:
        """One transport per thread, so an SMTP connection is reused but never shared."""
        transport = getattr(self._local, "transport", None)
        if transport is None:
            transport = self.make_transport()
            self._local.transport = transport
        return transport

    def enqueue(self, actor: Actor[..., Any], *args: Any) -> bool:
        """Nudge an actor; a failed nudge is logged only, because the sweep repeats it."""
        try:
            actor.send(*args)
            return True
        except Exception:
            log.warning("enqueue failed; the sweep will retry", exc_info=True)
            return False

    def enqueue_delayed(self, actor: Actor[..., Any], *args: Any, delay_ms: int) -> bool:
        """Nudge an actor after a delay (a retry); failures are logged like ``enqueue``."""
        try:
            actor.send_with_options(args=args, delay=delay_ms)
            return True
        except Exception:  # the sweep repeats it
            log.warning("delayed enqueue failed; the sweep will retry", exc_info=True)
            return False

    def enqueue_inbound(self, inbound_id: int) -> None:
        assert self.actors is not None
        self.enqueue(self.actors.process_inbound, inbound_id)

    def enqueue_inbound_batch(self, inbound_ids: list[int]) -> None:
        """Nudge new mail in batches: one transaction per batch instead of one per mail."""
        assert self.actors is not None
        for start in range(0, len(inbound_ids), BATCH_SIZE):
            chunk = inbound_ids[start : start + BATCH_SIZE]
            if len(chunk) == 1:
                self.enqueue(self.actors.process_inbound, chunk[0])
            else:
                self.enqueue(self.actors.process_batch, chunk)

    def enqueue_scans(self, scan_ids: list[int]) -> None:
        """Nudge the OCR queue for scanned letters recorded in the database."""
        assert self.actors is not None and self.actors.ocr_letter is not None
        for scan_id in scan_ids:
            self.enqueue(self.actors.ocr_letter, scan_id)

    def enqueue_outbound(self, outbound_id: int) -> None:
        assert self.actors is not None
        self.enqueue(self.actors.send_outbound, outbound_id)

    def enqueue_outbound_ids(self, outbound_ids: Sequence[int]) -> None:
        """The console's ``send_outbound``: each mail to the outbox queue, by id."""
        for outbound_id in outbound_ids:
            self.enqueue_outbound(outbound_id)


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("No runtime installed: start the process through the complaints CLI.")
    return _current
