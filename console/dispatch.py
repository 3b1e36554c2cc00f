"""Work a console action hands on after its transaction commits.

Mail queued by a decision (department notice, customer letters) is sent at once in a
background thread over the configured transport; if that fails the outbox row stays
``pending`` and the sweep of ``complaints run``/``poll`` sends it later. Reprocessed
mail goes through the same intake function the workers use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.models import OutboundMail
from pipeline.intake.process import process_inbound
from pipeline.outbound.send import send_many
from pipeline.outbound.transport import MailTransport

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, factory: sessionmaker[Session], settings: Settings,
                 make_transport: Callable[[], MailTransport]) -> None:
        self._factory = factory
        self._settings = settings
        self._make_transport = make_transport
        self._lock = threading.Lock()

    def transport(self) -> MailTransport:
        """A transport for mail that is not a case's (a password-reset link); caller closes."""
        return self._make_transport()

    def send_pending(self, case_id: int) -> threading.Thread:
        """Send the case's pending mail in the background; the sweep covers a failure."""
        thread = threading.Thread(target=self._send, args=(case_id,), daemon=True,
                                  name="console-send")
        thread.start()
        return thread

    def _send(self, case_id: int) -> None:
        try:
            with self._factory() as session:
                ids = list(session.scalars(select(OutboundMail.id).where(
                    OutboundMail.case_id == case_id, OutboundMail.status == "pending")))
            if not ids:
                return
            with self._lock:  # one SMTP conversation at a time from the console
                transport = self._make_transport()
                try:
                    send_many(self._factory, outbound_ids=ids, transport=transport,
                              settings=self._settings)
                finally:
                    transport.close()
        except Exception:
            log.warning("console could not send; the sweep will", exc_info=True)

    def reprocess(self, inbound_id: int) -> int | None:
        """Run intake on a re-queued mail now; returns the case it opened or joined."""
        outcome = process_inbound(self._factory, inbound_id=inbound_id, settings=self._settings)
        if outcome.case_id is not None:
            self.send_pending(outcome.case_id)
        return outcome.case_id
