"""Sender and recipient addresses from raw header values.

The sender's address decides where an acknowledgment goes, so it is read with
mail-parser's address parser: Python 3.11.7's ``getaddresses`` has no strict mode
and reads ``alice@example.org)<bob@example.org>`` as two addresses (CVE-2023-27043),
while mail-parser refuses such ambiguous headers. Display names are decoded by us
(:mod:`pipeline.mail.headers`), after the address is split off, so an encoded
comma in a name ("Wang, Fang") cannot split one mailbox into two.
"""

from __future__ import annotations

import logging
from email.utils import getaddresses

from mailparser.utils import get_addresses

from pipeline.mail.headers import clean_line, decode_8bit, decode_header_value

log = logging.getLogger(__name__)
# mail-parser logs header values (personal data) at ERROR level on bad input.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

# mail-parser's parser is careful but slow (about 1 s for 20,000 addresses); no honest
# From header comes near this, so longer ones are read with the standard parser.
_MAX_CAREFUL = 2000
_MAX_ADDRESS = 320
_MAX_NAME = 200


def sender(raw_value: str | None, defects: list[str]) -> tuple[str, str]:
    """(display name, lower-cased address) of the first mailbox in a From-like header."""
    if raw_value is None:
        return "", ""
    value = clean_line(decode_8bit(raw_value, defects))
    pairs = _careful(value) if len(value) <= _MAX_CAREFUL else None
    if pairs is None:
        pairs = _lenient_single(value)
        if pairs:
            defects.append("the sender's address was malformed; it was read as well as possible")
        elif value.strip():
            defects.append("the sender's address could not be read")
    if not pairs:
        return "", ""
    name, address = pairs[0]
    return _display_name(name, address, defects), _address(address)


def recipients(raw_values: list[str]) -> tuple[str, ...]:
    """Every address in To-like headers, lower-cased, in order, without repeats.

    Recipients are informational only, so the fast standard parser is good enough.
    """
    values = [clean_line(decode_8bit(value, [])) for value in raw_values]
    found = (_address(address) for _, address in getaddresses(values))
    return tuple(dict.fromkeys(address for address in found if address))


def _careful(value: str) -> list[tuple[str, str]] | None:
    """mail-parser's reading, or None when it finds no unambiguous mailbox."""
    diagnostics: list[dict[str, object]] = []
    try:
        pairs = get_addresses(value, defects=diagnostics, decode_names=False)
    except Exception:  # noqa: BLE001 - a third-party parser must not stop the intake
        log.info("mail-parser could not read an address header")
        return None
    usable = [(name, address) for name, address in pairs if address]
    return usable or None


def _lenient_single(value: str) -> list[tuple[str, str]]:
    """The standard reading, but only when it is one plain mailbox.

    A bare ``MAILER-DAEMON`` (no domain) is kept, because the automatic-mail check
    needs it; anything the standard parser reads as several mailboxes is refused,
    because that is exactly the ambiguity an attacker would use.
    """
    pairs = [(name, address) for name, address in getaddresses([value]) if address]
    if len(pairs) != 1 or any(ch in pairs[0][1] for ch in '<>()",; '):
        return []
    return pairs


def _display_name(name: str, address: str, defects: list[str]) -> str:
    decoded = decode_header_value(name, defects).strip().strip("\"'").strip()
    return "" if decoded.lower() == address.lower() else decoded[:_MAX_NAME]


def _address(address: str) -> str:
    return "".join(clean_line(address).split()).strip("<>").lower()[:_MAX_ADDRESS]
