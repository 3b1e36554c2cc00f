"""The one interface outgoing mail goes through, and its two kinds of failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TransientSendError(Exception):
    """Try again later: connection refused, timeout, a 4xx answer."""


class PermanentSendError(Exception):
    """Trying again will not help: 5xx for every recipient, an invalid address."""


class MailTransport(Protocol):
    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None: ...

    def close(self) -> None: ...
