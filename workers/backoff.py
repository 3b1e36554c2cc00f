"""Jittered exponential backoff for reconnecting to mail servers.

Jitter spreads reconnects out, so a server restart is not met by every poller and
worker at the same instant.
"""

from __future__ import annotations

import random


class Backoff:
    """Delays of ``first`` seconds doubling up to ``cap``, each varied by ±``jitter``."""

    def __init__(self, *, first: float = 1.0, cap: float = 60.0, jitter: float = 0.2) -> None:
        if first <= 0 or cap < first or not 0 <= jitter < 1:
            raise ValueError("backoff needs 0 < first <= cap and 0 <= jitter < 1")
        self.first = first
        self.cap = cap
        self.jitter = jitter
        self._next = first

    def next(self) -> float:
        """The delay to wait now; doubles each time up to the cap."""
        delay = self._next * random.uniform(1 - self.jitter, 1 + self.jitter)
        self._next = min(self.cap, self._next * 2)
        return delay

    def reset(self) -> None:
        """Start from ``first`` again, after the connection has proved itself."""
        self._next = self.first
