"""Which language a complaint is written in: Chinese ("zh") or English ("en").

The answer picks the language of every letter we send, so it must follow what the
customer wrote, not what they quoted. A character count is enough: no model.
"""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_MIN_SHARE = 0.2
_MIN_HAN = 10
_MIN_WORDS = 4  # below this many words (one Han character counting as one) it is a guess


def detect_language(text: str, fallback: str = "") -> str:
    """'zh' when Han characters are a meaningful share of the text, else 'en'.

    Either Han characters are at least 20% of all letters, or there are at least ten
    of them and they are not drowned in English: one Han character carries about a
    word, so ten of them in a 40-word mail make it a Chinese mail, while a Chinese
    address in the signature of a 300-word English mail does not.

    A mail of a few words ("投诉", "Order 123456", only a photo) says too little to
    tell: then ``fallback``, the language of the mailbox it was sent to, decides when
    given, because a customer writing to the Chinese service address reads Chinese.
    """
    han = len(_HAN.findall(text))
    if fallback and han + len(_LATIN_WORD.findall(text)) < _MIN_WORDS:
        return fallback
    if not han:
        return "en"
    latin = len(_LATIN_LETTER.findall(text))
    if han >= _MIN_SHARE * (han + latin):
        return "zh"
    words = len(_LATIN_WORD.findall(text))
    return "zh" if han >= _MIN_HAN and han >= _MIN_SHARE * (han + words) else "en"
