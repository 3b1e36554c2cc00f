"""Work a console action hands on after its transaction commits.

Mail queued by a decision (department notice, customer letters) is handed by id to
whoever sends mail: the composition root (``workers/cli.py``) gives the console a
``send_outbound`` function that enqueues the ids on the workers' outbox queue. The
console itself never talks SMTP and never imports ``workers``; if the nudge is lost,
the outbox row stays ``pending`` and the sweep sends it. Reprocessed mail goes through
the same intake function the workers use. A password-reset link, which belongs to no
case, is sent over the transport the composition root hands in (``make_transport``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline import jobs
from pipeline.db.models import OutboundMail
from pipeline.intake.process import process_inbound
from pipeline.outbound.transport import MailTransport, SendError

log = logging.getLogger(__name__)

SendOutbound = Callable[[Sequence[int]], None]
"""Hand outbound mail ids on to be sent (the workers' outbox queue)."""


def leave_for_the_sweep(outbound_ids: Sequence[int]) -> None:
    """Without a queue to hand mail to, the sweep of ``complaints run``/``poll`` sends it."""
    log.info("%d mail(s) pending; the sweep will send them", len(outbound_ids))


class Dispatcher:
    def __init__(self, factory: sessionmaker[Session], settings: Settings,
                 send_outbound: SendOutbound | None = None,
                 make_transport: Callable[[], MailTransport] | None = None) -> None:
        self._factory = factory
        self._settings = settings
        self._send_outbound = send_outbound or leave_for_the_sweep
        self._make_transport = make_transport

    def transport(self) -> MailTransport:
        """The composition root's transport, for mail that is not a case's (a password-reset
        link, sent while the admin waits so a failure is shown); the caller closes it."""
        if self._make_transport is None:
            raise SendError("This console was started without a mail transport. / "
                            "控制台启动时未配置发信方式。")
        return self._make_transport()

    def send_pending(self, case_id: int) -> list[int]:
        """Hand the case's pending mail on by id; returns the ids. A lost nudge is swept."""
        with self._factory() as session:
            ids = list(session.scalars(select(OutboundMail.id).where(
                OutboundMail.case_id == case_id, OutboundMail.status == "pending")))
        if ids:
            try:
                self._send_outbound(ids)
            except Exception:  # the sweep sends what was not handed on
                log.warning("console could not hand mail on; the sweep will", exc_info=True)
        return ids

    def reprocess(self, inbound_id: int) -> int | None:
        """Run intake on a re-queued mail now; returns the case it opened or joined."""
        # Staff's own run uses none of the mail's attempts (they were just reset).
        held = jobs.claim(self._factory, jobs.INBOUND, [inbound_id],
                          seconds=self._settings.claim_seconds, count_attempt=False)
        if not held:  # another worker has it (a nudge got there first)
            return None
        outcome = process_inbound(self._factory, held=held, settings=self._settings)
        if outcome.case_id is not None:
            self.send_pending(outcome.case_id)
        return outcome.case_id
