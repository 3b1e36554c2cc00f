"""Periodic sweep: re-send the work the database says is unfinished."""

from __future__ import annotations

import logging
import threading

from pipeline.db.base import utcnow
from pipeline.ops.counters import SWEEP_PREFIX, add_counts
from pipeline.recovery import find_unfinished
from pipeline.scans.unfinished import unfinished_scans
from workers.runtime import Runtime

log = logging.getLogger(__name__)


def sweep_once(runtime: Runtime) -> tuple[int, int]:
    """Nudge unfinished mail once; returns how many inbound and outbound were nudged."""
    with runtime.factory() as session, session.begin():
        work = find_unfinished(session, settings=runtime.settings, now=utcnow())
        scans = unfinished_scans(session, settings=runtime.settings, now=utcnow())
    runtime.enqueue_inbound_batch(work.inbound_ids)
    runtime.enqueue_scans(scans)
    for outbound_id in work.outbound_ids:
        runtime.enqueue_outbound(outbound_id)
    if work.inbound_ids or work.outbound_ids or scans:
        add_counts(runtime.factory, {
            f"{SWEEP_PREFIX}inbound": len(work.inbound_ids),
            f"{SWEEP_PREFIX}outbound": len(work.outbound_ids),
            f"{SWEEP_PREFIX}scans": len(scans),
        })
        log.info(
            "sweep re-sent work",
            extra={
                "inbound": len(work.inbound_ids),
                "outbound": len(work.outbound_ids),
                "scans": len(scans),
            },
        )
    return len(work.inbound_ids), len(work.outbound_ids)


def run_sweeper(runtime: Runtime, stop: threading.Event) -> None:
    """Sweep every ``sweep_seconds`` until stopped; a failed pass is logged and retried."""
    while not stop.wait(runtime.settings.sweep_seconds):
        try:
            sweep_once(runtime)
        except Exception:
            log.exception("sweep failed")
