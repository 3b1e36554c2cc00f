"""The audit trail: what happened to a case, who did it, when.

The writer lives in :mod:`pipeline.db.trail` so that the outbox, below the case
package, can write to the trail too; this is its usual name for everything above.
"""

from __future__ import annotations

from pipeline.db.trail import record_event

__all__ = ["record_event"]
