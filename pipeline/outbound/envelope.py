"""The envelope sender (SMTP MAIL FROM) of a mail we built: the address in its From.

Each mailbox sends from its own address, so bounces and delivery reports come back to
the mailbox the customer wrote to (and its poller links them to the case). The outbox
row holds the finished mail, so the address is read back from its From header rather
than stored twice.
"""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

_HEADER_BYTES = 64 * 1024  # our own headers; the From is near the top


def envelope_sender(raw: bytes, fallback: str) -> str:
    """The From address of ``raw``; ``fallback`` when it has none usable."""
    end = raw.find(b"\r\n\r\n", 0, _HEADER_BYTES)  # the parser would read the body too
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(
            raw[: end + 4 if end >= 0 else _HEADER_BYTES], headersonly=True
        )
        address = parseaddr(str(headers.get("From", "")))[1]
    except Exception:  # noqa: BLE001 - we built the mail; any oddity means "use the default"
        return fallback
    return address if "@" in address else fallback
