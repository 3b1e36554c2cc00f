"""Charset decoding that does not silently produce mojibake.

Mail clients label text with charsets that are narrower than what they actually
wrote: ``gb2312`` text routinely contains GBK characters (喆, 镕, 堃), ``big5`` text
contains HKSCS characters, ``iso-8859-1`` text contains Windows-1252 quotes and euro
signs. mail-parser trusts the label and returns garbage without an error. We map each
label to its superset, decode strictly, and only then guess or fall back to
replacement characters with a defect recorded, so staff know to check the text.
"""

from __future__ import annotations

import codecs
import re

# Label -> the superset that the sending clients really use (the WHATWG Encoding
# Standard makes the same choices for browsers).
ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "gb_2312-80": "gb18030",
    "gb_2312": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "big-5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Codecs Python has but that are not mail text: non-text codecs (base64, zlib...) raise
# LookupError, ``undefined`` always fails, and punycode/idna are quadratic or meant for
# host names. A hostile label must not pick any of them.
_REFUSED = frozenset(
    {"undefined", "punycode", "idna", "unicode-escape", "raw-unicode-escape", "charmap"}
)

# When the label is missing, unknown or wrong: most of our mail is Chinese or English.
_GUESSES = ("utf-8", "gb18030", "big5hkscs", "cp1252")

# Codecs where pure-ASCII bytes do not mean ASCII text.
_NOT_ASCII_COMPATIBLE = ("utf-16", "utf-32", "utf-7", "utf_16", "utf_32", "utf_7")

_SURROGATE = re.compile("[\ud800-\udfff]")


def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a MIME charset label, or None if there is none."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()[:64]
    name = ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not info._is_text_encoding or info.name in _REFUSED:  # type: ignore[attr-defined]
        return None
    return info.name


def decode_text(payload: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode bytes labelled ``label``; returns (text, defect or None).

    Strict decoding with the label's superset first, then guesses, then replacement
    characters; every step after the first records a defect for staff.
    """
    codec = codec_for(label)
    if payload.isascii() and not (codec or "").startswith(_NOT_ASCII_COMPATIBLE):
        return payload.decode("ascii"), None
    if codec == "cp1252":
        # Raw UTF-8 under an ascii/latin-1 label is common; real Latin-1 text is almost
        # never valid UTF-8, so trying UTF-8 first costs nothing and saves the text.
        text = _strict(payload, "utf-8")
        if text is not None:
            return text, None
    if codec is not None:
        text = _strict(payload, codec)
        if text is not None:
            return text, None
    return _guess(payload, label, codec)


def _guess(payload: bytes, label: str | None, codec: str | None) -> tuple[str, str | None]:
    shown = describe_label(label)
    for guess in _GUESSES:
        if guess == codec:
            continue
        text = _strict(payload, guess)
        if text is None:
            continue
        if not label:
            return text, None if guess == "utf-8" else f"text without a charset read as {guess}"
        if codec is None:
            return text, f"text labelled {shown}, a charset Python lacks, was read as {guess}"
        return text, f"text labelled {shown} was not valid {codec}; read as {guess}"
    text = _scrub(payload.decode(codec or "utf-8", errors="replace"))
    return text, (
        f"text labelled {shown} could not be decoded; unreadable characters were replaced"
    )


def _strict(payload: bytes, codec: str) -> str | None:
    try:
        text = payload.decode(codec)
    except (UnicodeError, LookupError):
        return None
    if _SURROGATE.search(text):
        # utf-7 and utf-16 can yield lone surrogates, which no database or UTF-8 sink
        # accepts; such a decode is as bad as a failed one.
        return None
    return text


def _scrub(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def describe_label(label: str | None) -> str:
    """A short, printable rendering of a sender-chosen label, safe to show to staff."""
    if not label:
        return "without a charset"
    return repr("".join(ch for ch in label if ch.isprintable())[:40])
