"""Header decoding: RFC 2047 encoded words, raw 8-bit headers, Message-IDs.

Headers are read raw (``Message.raw_items``) and decoded here, because the standard
library decodes encoded words with the declared charset (gb2312 text with GBK
characters fails) and hands raw 8-bit UTF-8 headers back as surrogate escapes.
"""

from __future__ import annotations

import re
from email.header import decode_header
from email.message import Message

from pipeline.intake.charsets import decode_text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FOLD = re.compile(r"\r?\n[ \t]*")
_MSGID = re.compile(r"<[^<>\s]+>")


def raw_header(message: Message, name: str) -> str | None:
    """The first raw value of a header, undecoded (surrogate-escaped bytes kept)."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def raw_headers(message: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(v) for k, v in message.raw_items() if k.lower() == wanted]


def decode_header_value(value: str, defects: list[str]) -> str:
    """Decode a raw header value to clean one-line text."""
    value = _FOLD.sub(" ", value)
    if _has_surrogates(value):
        text, defect = decode_text(value.encode("ascii", "surrogateescape"), None)
        if defect:
            defects.append(defect)
        value = text
    if "=?" in value:
        value = _decode_words(value, defects)
    return _CONTROL.sub("", value).strip()


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _decode_words(value: str, defects: list[str]) -> str:
    try:
        chunks = decode_header(value)
    except (ValueError, LookupError, AssertionError):
        defects.append("a header's encoded words were damaged")
        return value
    pieces = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            pieces.append(chunk)
            continue
        text, defect = decode_text(chunk, charset)
        if defect:
            defects.append(defect)
        pieces.append(text)
    return "".join(pieces)


def normalise_msgid(value: object) -> str | None:
    """The bare ``<id@host>`` form of a Message-ID-like header, or None."""
    if value is None:
        return None
    found = _MSGID.search(str(value))
    if found:
        return found.group(0)[:998]
    cleaned = "".join(str(value).split())
    return f"<{cleaned.strip('<>')}>"[:998] if cleaned else None


def split_msgids(value: object) -> list[str]:
    if value is None:
        return []
    return [m[:998] for m in _MSGID.findall(_FOLD.sub(" ", str(value)))]
