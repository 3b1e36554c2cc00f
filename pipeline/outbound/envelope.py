"""The envelope sender (SMTP MAIL FROM) of a mail we built: the address in its From.

Each mailbox sends from its own address, so bounces and delivery reports come back to
the mailbox the customer wrote to (and its poller links them to the case). The outbox
row holds the finished mail, so the address is read back from its From header rather
than stored twice.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from functools import lru_cache

_HEADER_BYTES = 64 * 1024  # our own headers; the From is near the top
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FROM_FIELD = re.compile(rb"(?im)^from[ \t]*:(?P<value>[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")
"""The From field, with its folded lines."""


def envelope_sender(raw: bytes, fallback: str) -> str:
    """The From address of ``raw``; ``fallback`` when it has none usable."""
    head = raw[:_HEADER_BYTES]
    end = _HEADER_END.search(head)  # a From line in the body is not the sender
    found = _FROM_FIELD.search(head, 0, end.start() if end else len(head))
    if found is None:
        return fallback
    return _address_in(found.group("value")) or fallback


@lru_cache(maxsize=256)
def _address_in(value: bytes) -> str:
    """The address of a From field, or "". Kept: a mailbox's From is the same on every
    mail it sends, and the address parser costs more than the rest of a send's Python."""
    try:
        address = parseaddr(value.decode("ascii", "surrogateescape"))[1]
    except Exception:  # noqa: BLE001 - we built the mail; any oddity means "use the default"
        return ""
    return address if "@" in address else ""
