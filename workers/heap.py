"""The garbage collector's settings for a long-running service process.

Python's cyclic collector runs its youngest generation every 700 new container
objects. Turning a complaint into a case makes thousands (ORM rows and their state,
parsed mail, rendered letters), so a worker ran it several times per batch, and now
and then a full collection, which walks every object the process holds, nearly all
of them living as long as the process (modules, the ORM's mappings, phone-number
metadata): 0.10 ms of CPU per complaint (`bench/intake_statements.py`, 1,500
complaints after its warm-up, timed with ``gc.callbacks``).

Once a service has started, :func:`settle_after_start_up` moves what exists by then
out of the collector's sight (``gc.freeze``) and lets the youngest generation grow
to 10,000 objects: 0.02 ms per complaint. Cycles are still collected, a little later;
the memory they hold meanwhile is small (a batch's worth of objects).
"""

from __future__ import annotations

import gc

YOUNG_GENERATION = 10_000
"""New container objects between two collections of the youngest generation."""


def settle_after_start_up() -> None:
    """Freeze what start-up built and collect the young generation less often.

    Called by the command line once the service's modules are imported and before
    any of its threads starts (objects of a batch in flight would be frozen for
    good); a test or a console embedding :func:`workers.service.serve` keeps its own
    settings.
    """
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
