"""Header decoding: RFC 2047 encoded words, raw 8-bit headers, Message-IDs.

Headers are read raw (``Message.raw_items``) and decoded here, because the standard
library decodes encoded words with the declared charset (gb2312 text with GBK
characters fails), hands raw 8-bit UTF-8 headers back as surrogate escapes, and
re-encodes unencoded text next to an encoded word with ``raw-unicode-escape``.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message

from pipeline.mail.charsets import decode_text

# Everything that could end a header line or hide text once shown: C0 and C1 controls,
# DEL, and the Unicode line and paragraph separators. Line breaks become spaces, so
# a decoded subject can never inject a header into a mail we build from it.
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_FOLD = re.compile(r"\r?\n[ \t]*")
_MSGID = re.compile(r"<[^<>\s]+>")
_SURROGATES = re.compile("[\udc80-\udcff]")
# RFC 2047 encoded word, with the RFC 2231 language suffix (=?utf-8*en?Q?...?=) allowed.
_WORD = re.compile(r"=\?([^?\s*]{1,64})(?:\*[^?\s]{0,32})?\?([bBqQ])\?([^?\s]*)\?=")
_MAX_MSGID = 998


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
    value = decode_8bit(_FOLD.sub(" ", value), defects)
    if "=?" in value:
        value = decode_words(value, defects)
    return clean_line(value)


def clean_line(value: str) -> str:
    """One line of text: breaks become spaces, other control characters go."""
    return _CONTROL.sub("", _BREAKS.sub(" ", value)).strip()


def decode_8bit(value: str, defects: list[str]) -> str:
    """Text for a header written in raw 8-bit bytes (no encoded words), as most do now.

    The parser keeps such bytes as surrogate escapes; they are UTF-8 in practice
    (RFC 6532), otherwise usually GBK, so the bytes are decoded by guessing.
    """
    if not _SURROGATES.search(value):
        return value
    text, defect = decode_text(value.encode("utf-8", "surrogateescape"), None)
    if defect:
        defects.append(f"a header was not in UTF-8: {defect}")
    return text


def decode_words(value: str, defects: list[str]) -> str:
    """Decode RFC 2047 encoded words leniently, as mail clients write them.

    Whitespace between two encoded words is dropped (RFC 2047 section 6.2), and
    adjacent words in one charset are joined as bytes before decoding: clients split
    long subjects mid-character, which breaks a word-by-word decode of GBK text.
    """
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0
    for found in _WORD.finditer(value):
        between = value[position : found.start()]
        position = found.end()
        charset, data = found.group(1).lower(), _word_bytes(found.group(2), found.group(3))
        adjacent = bool(pending) and not between.strip()
        if pending and (data is None or not adjacent or charset != pending_charset):
            pieces.append(_decode_pending(pending, pending_charset, defects))
            pending = []
        if not adjacent:
            pieces.append(between)
        if data is None:
            defects.append("a header's encoded words were damaged; they are shown as sent")
            pieces.append(found.group(0))
            continue
        pending.append(data)
        pending_charset = charset
    if pending:
        pieces.append(_decode_pending(pending, pending_charset, defects))
    pieces.append(value[position:])
    return "".join(pieces)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "bB":
            text = text.rstrip("=")
            return binascii.a2b_base64(text + "=" * (-len(text) % 4))
        return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def _decode_pending(chunks: list[bytes], charset: str, defects: list[str]) -> str:
    text, defect = decode_text(b"".join(chunks), charset)
    if defect:
        defects.append(f"in a header: {defect}")
    return text


def normalise_msgid(value: object) -> str | None:
    """The bare ``<id@host>`` form of a Message-ID-like header, or None."""
    if value is None:
        return None
    cleaned = clean_line(decode_8bit(str(value), []))
    found = _MSGID.search(cleaned)
    if found:
        return found.group(0)[:_MAX_MSGID]
    bare = "".join(cleaned.split()).strip("<>")
    return f"<{bare}>"[:_MAX_MSGID] if bare else None


def split_msgids(value: object) -> list[str]:
    if value is None:
        return []
    cleaned = clean_line(decode_8bit(_FOLD.sub(" ", str(value)), []))
    return [m[:_MAX_MSGID] for m in _MSGID.findall(cleaned)]
