"""Clean display names for attachments.

The name a customer's mail gives a file is untrusted: ``../../etc/x``, ``..\\win.ini``,
``a\\x00.pdf``, ``CON``, a right-to-left override that shows ``invoice.exe`` as
``invoiceexe.pdf``, or 300 characters. Files are stored under generated names anyway;
this only makes the name safe to show and to offer as a download name.
"""

from __future__ import annotations

import re
import unicodedata

# Device names Windows refuses as file names, with or without an extension.
_RESERVED = frozenset(
    {
        "con",
        "prn",
        "aux",
        "nul",
        "conin$",
        "conout$",
        *(f"com{i}" for i in range(10)),
        *(f"lpt{i}" for i in range(10)),
    }
)
# Control characters (C0, DEL, C1), characters Windows forbids in names, lone
# surrogates, and the invisible bidi and zero-width controls used to disguise extensions.
_UNSAFE = re.compile(
    '[\x00-\x1f\x7f-\x9f<>:"|?*\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]'
)
MAX_LENGTH = 150
_MAX_EXTENSION = 15

# Extensions for unnamed parts, so an unnamed inline image opens as an image.
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "application/ms-tnef": "dat",
    "application/octet-stream": "bin",
    "application/zip": "zip",
    "message/rfc822": "eml",
    "message/global": "eml",
    "message/delivery-status": "txt",
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
    "text/csv": "csv",
    "text/rfc822-headers": "txt",
}


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A harmless, non-empty display name that keeps the extension."""
    return clean_name(name) or fallback or "attachment"


def clean_name(name: str | None) -> str:
    """The harmless part of a sender's file name; empty when nothing is left."""
    if not name:
        return ""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("", name).strip(" .")
    if not name:
        return ""
    stem = name.split(".", 1)[0].rstrip(" ")
    if stem.lower() in _RESERVED:
        name = "_" + name
    return _cap(name)


def _cap(name: str) -> str:
    if len(name) <= MAX_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > _MAX_EXTENSION:
        return name[:MAX_LENGTH].rstrip(" .")
    keep = MAX_LENGTH - len(extension) - 1
    return f"{stem[:keep].rstrip(' .')}.{extension}"


def fallback_name(content_type: str, number: int) -> str:
    """A name for a part that has none: ``image-1.png``, ``attachment-2.pdf``."""
    maintype, _, subtype = content_type.partition("/")
    extension = _EXTENSIONS.get(content_type) or _plain_extension(subtype)
    stem = maintype if maintype in ("image", "audio", "video", "text", "message") else "attachment"
    return f"{stem}-{number}.{extension}"


def _plain_extension(subtype: str) -> str:
    cleaned = re.sub(r"^(x-|vnd\.)", "", subtype)
    return cleaned if re.fullmatch(r"[a-z0-9]{1,8}", cleaned) else "bin"
