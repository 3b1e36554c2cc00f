"""Clean display names for attachments.

The name a customer's mail gives a file is untrusted: ``../../etc/x``, ``..\\win.ini``,
``a\\x00.pdf``, ``CON`` or 300 characters. Files are stored under generated names
anyway; this only makes the name safe to show and to offer as a download name.
"""

from __future__ import annotations

import re
import unicodedata

_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
MAX_LENGTH = 150


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A harmless, non-empty display name that keeps the extension."""
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("", name).strip(" .")
    if not name:
        return fallback
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.lower() in _RESERVED or name.lower() in _RESERVED:
        name = "_" + name
    if len(name) > MAX_LENGTH:
        keep = ext[:15]
        name = name[: MAX_LENGTH - len(keep) - 1].rstrip(" .") + ("." + keep if keep else "")
    return name
