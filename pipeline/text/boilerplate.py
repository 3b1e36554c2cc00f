"""Does a mail's own text say anything, or only "see attached" and a signature?

Two decisions hang on it. A mail whose text says nothing may be a scanned or
photographed letter (its picture is the complaint); a mail with its own words is an
e-mail complaint, whatever it carries ("See photo. The bowl arrived cracked. Refund
please." is a complaint with a photo, not a letter). And when the text says nothing
but a document is attached, the document is the complaint.

Length alone cannot tell them apart: a complaint can be 70 characters long, and a
signature with a disclaimer can be 500.
"""

from __future__ import annotations

import re

from pipeline.text.replies import strip_quoted

__all__ = ["own_words", "says_nothing"]

MAX_OWN_WORDS = 3  # "Thanks, John" or "Regards" are not a complaint; four words can be
MAX_OWN_HAN = 4  # Han characters carry about a word each
_SCAN_LIMIT = 5000

_SIGNATURE_START = re.compile(
    r"^(?:--\s*|__+|sent from (?:my|mail for) .*|get outlook for .*|发自我的.*|来自我的.*|"
    r"(?:best|kind|warm|warmest)? ?regards.*|sincerely.*|yours (?:sincerely|faithfully|truly).*|"
    r"thanks?(?: you)?[,.!]?|many thanks.*|cheers.*|此致|敬礼|谢谢[!！。]?)$",
    re.IGNORECASE,
)
_PHRASES = re.compile(
    r"(?:please\s+)?(?:see|find|view|check|refer to)\s+(?:the\s+|my\s+)?(?:attached|attachments?|"
    r"enclosed|photos?|pictures?|pics?|images?|scans?|files?|documents?|letters?)"
    r"(?:\s+(?:attached|below|enclosed|for details))?"
    r"|(?:please\s+find\s+)?attached\s+(?:is|are)?\s*(?:my\s+|the\s+|a\s+)?"
    r"(?:complaint\s+)?(?:letter|photos?|pictures?|scans?|files?|documents?)?"
    r"|(?:my\s+|the\s+)?(?:complaint\s+)?(?:letter|photos?|pictures?|scans?|files?|documents?)"
    r"\s+(?:is\s+|are\s+)?(?:attached|enclosed)"
    r"|as attached|in the attachment|attachment|attached|enclosed"
    r"|(?:请|敬请)?(?:详见|参见|请见|见|查看|参阅|看)(?:一下)?(?:我的)?(?:附件|附图|照片|图片|扫描件|来信|信件|信)"
    r"|附件(?:是|为)?(?:我的)?(?:投诉信|投诉|信件|照片|图片|文件)?|请查收|如附件|投诉信",
    re.IGNORECASE,
)
_GREETINGS = re.compile(
    r"\b(?:hi|hello|hey|dear\s+\w+(?:\s+\w+)?|good (?:morning|afternoon|evening)|"
    r"sir|madam|team|customer service)\b|您好|你好|尊敬的\S{0,10}|客服",
    re.IGNORECASE,
)
# Every phrase above holds one of these: a text without any of them has no phrase to
# remove, and looking for them in its lowercase costs about a twentieth of the pattern.
_PHRASE_WORDS = ("attach", "enclos", "photo", "pic", "image", "scan", "file", "document",
                 "letter", "附", "照片", "图片", "扫描", "信", "请查收")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f0-9]+")


def own_words(text: str) -> str:
    """The text without quoted mail, signature, greetings and "see attached" phrases."""
    lines = []
    for line in strip_quoted(text[:_SCAN_LIMIT]).splitlines():
        stripped = line.strip()
        if _SIGNATURE_START.match(stripped):
            break
        lines.append(stripped)
    remaining = "\n".join(lines)
    if _may_hold_a_phrase(remaining):
        remaining = _PHRASES.sub(" ", remaining)
    return _GREETINGS.sub(" ", remaining).strip()


def _may_hold_a_phrase(text: str) -> bool:
    """Whether ``_PHRASES`` could match ``text``: one of its words is in it, in any case.

    Besides A-Z, ``re.IGNORECASE`` takes 'İ', 'ı', 'ſ' and 'K' for ASCII letters (the
    ``re`` module's documentation); ``lower()`` makes 'K' a 'k' and 'İ' an 'i' with a
    dot above, and the other two are mapped here, so no text the pattern would change
    is passed over.
    """
    folded = text.lower().replace("i\u0307", "i").replace("ı", "i").replace("ſ", "s")
    return any(word in folded for word in _PHRASE_WORDS)


def says_nothing(text: str) -> bool:
    """True for an empty text, or one of only boilerplate: "see attached", a greeting, a
    signature, "Sent from my iPhone", "详见附件。"."""
    left = own_words(text)
    return len(_WORD.findall(left)) <= MAX_OWN_WORDS and len(_HAN.findall(left)) <= MAX_OWN_HAN
