"""The one interface outgoing mail goes through, and its two kinds of failure.

Callers decide what to do from the exception type alone: a transient failure is
retried with backoff, a permanent one stops and puts the case in front of staff.
Both are raised ``from`` the original error so the cause stays in the traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SendError(Exception):
    """The mail was not handed over."""


class TransientSendError(SendError):
    """Try again later: connection refused, timeout, a 4xx answer, a login refused."""


class PermanentSendError(SendError):
    """Trying again will not help: 5xx for every recipient, an unusable address."""


class MailTransport(Protocol):
    """Hands a finished mail (raw RFC 5322 bytes) to whatever delivers it."""

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Deliver ``raw`` to ``recipients``; raise a SendError subclass on failure."""
        ...

    def close(self) -> None:
        """Release any connection; the transport may be used again afterwards."""
        ...
