"""Charset decoding that does not silently produce mojibake.

Mail clients label text with charsets that are narrower than what they actually
wrote: ``gb2312`` text routinely contains GBK characters (喆, 镕, 堃), ``big5`` text
contains HKSCS characters. mail-parser trusts the label and returns garbage without
an error. We map each label to its superset, decode strictly, and only then fall
back to replacement characters with a defect recorded, so staff know to check.
"""

from __future__ import annotations

import codecs

ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-874": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Labels that say nothing about the bytes: guess in this order.
_GUESSES = ("utf-8", "gb18030", "big5hkscs", "cp1252")


def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a MIME charset label, or None if there is none."""
    if not label:
        return None
    name = label.strip().strip('"').lower()
    name = ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(payload: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode bytes labelled ``label``; returns (text, defect or None)."""
    codec = codec_for(label)
    if codec == "cp1252" and not payload.isascii():
        # Raw UTF-8 under an ascii/latin-1 label is common; real Latin-1 text is almost
        # never valid UTF-8, so trying UTF-8 first costs nothing and saves the text.
        try:
            return payload.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return payload.decode(codec), None
        except UnicodeDecodeError:
            pass
    for guess in _GUESSES:
        try:
            text = payload.decode(guess)
        except UnicodeDecodeError:
            continue
        if codec is None and label and label.lower() not in ("unknown-8bit", "x-unknown"):
            return text, f"unknown charset {label!r}, read as {guess}"
        if codec is not None:
            return text, f"text labelled {label!r} was not valid {codec}; read as {guess}"
        return text, None if not label else f"charset {label!r} guessed as {guess}"
    fallback = codec or "utf-8"
    return payload.decode(fallback, errors="replace"), (
        f"text labelled {label or 'without charset'} could not be decoded; "
        "unreadable characters were replaced"
    )
