"""Record-form fields (客户投诉记录单) read from a complaint's text, in Chinese or English.

A pure module: text in, fields out. It aims for the fields a careful clerk would
type; staff confirm them in review, so a missed field costs a correction, not a case.
"""

from __future__ import annotations

import re

from pipeline.intake.message import ExtractedFields
from pipeline.intake.phones import find_phones

__all__ = ["detect_language", "extract_fields", "find_demands", "find_phones"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")

DEMANDS: dict[str, tuple[str, ...]] = {
    "refund": ("退款", "退钱", "返还货款", "退还货款", "refund", "money back"),
    "return": ("退货", "return the", "return it", "send it back"),
    "replacement": (
        "换货",
        "更换",
        "调换",
        "换一台",
        "换一个",
        "replacement",
        "exchange",
        "replace",
    ),
    "repair": ("维修", "修理", "repair", "fix it"),
    "compensation": ("赔偿", "补偿", "compensation", "compensate"),
    "apology": ("道歉", "apology", "apologise", "apologize"),
    "explanation": ("解释", "给个说法", "给我一个说法", "explanation", "explain"),
    "discount": ("折价", "打折", "discount", "price reduction"),
}
_NEGATIONS = ("不需要", "不用", "不要", "无需", "no ", "not ", "don't ", "do not ", "without ")

_GREETING = re.compile(
    r"^\s*(您好|你好|尊敬的[^\n，,：:]{0,20}[，,：:]?|dear [^\n,]{0,60},?|hello,?|hi,?)"
    r"\s*[！!，,：:]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNOFF = re.compile(
    r"^\s*(regards|best regards|kind regards|sincerely|yours sincerely|yours faithfully|thanks|"
    r"thank you|best|cheers|此致|敬礼|谢谢|顺祝商祺)[,，!！。]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ZH_NAME = re.compile(
    r"(?:我是|我叫|本人|客户[:：]\s*|姓名[:：]\s*)([\u4e00-\u9fff]{2,4}?)(?=[，,。\s、（(]|$)"
)
_EN_NAME = re.compile(r"\bmy name is ([A-Z][a-z]+(?: [A-Z][a-z'-]+){1,2})")
_ROBOT_NAMES = re.compile(r"(service|support|noreply|no-reply|admin|info|客服|customer)", re.I)
_ORDER_HINT = re.compile(
    r"(?:订单号|订单编号|单号|order\s*(?:no\.?|number|#)?)\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{5,24})",
    re.IGNORECASE,
)
_CONTACT_EMAIL = re.compile(
    r"(?:联系邮箱|邮箱|contact e-?mail|e-?mail)\s*[:：]\s*([\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=[.](?=\s))")
_GENERIC_SUBJECTS = {"投诉", "complaint", "客户投诉", "a complaint", "投诉信"}


def detect_language(text: str) -> str:
    """'zh' when Han characters are a meaningful share of the letters, else 'en'."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if han >= 10 or (han and han >= 0.2 * (han + latin / 4)) else "en"


def find_demands(text: str) -> tuple[str, ...]:
    """What the customer asks for, by keywords in both languages; simple negations skipped."""
    lowered = text.lower()
    found = []
    for code, words in DEMANDS.items():
        if any(_asked(lowered, word) for word in words):
            found.append(code)
    return tuple(found)


def _asked(lowered: str, word: str) -> bool:
    start = lowered.find(word)
    while start >= 0:
        window = lowered[max(0, start - 12) : start]
        if not any(neg in window for neg in _NEGATIONS):
            return True
        start = lowered.find(word, start + 1)
    return False


def find_order_numbers(text: str, pattern: str, phones: tuple[str, ...]) -> tuple[str, ...]:
    digits_of_phones = {p.lstrip("+")[-11:] for p in phones}
    found = [m.group(1) for m in _ORDER_HINT.finditer(text)]
    found += [m.group(0) for m in re.finditer(pattern, text)]
    kept = [
        f
        for f in found
        if re.search(r"\d{4}", f) and not any(f.endswith(d) for d in digits_of_phones)
    ]
    return tuple(dict.fromkeys(kept))


def customer_name(text: str, from_name: str, from_address: str) -> str:
    """The display name if it looks like a person, else a name the text gives."""
    stated = _ZH_NAME.search(text) or _EN_NAME.search(text)
    if stated:
        return stated.group(1).strip()
    name = from_name.strip().strip("'\"")
    if name and "@" not in name and not _ROBOT_NAMES.search(name) and not re.search(r"\d", name):
        return name
    return _signature_name(text)


def _signature_name(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines[-4:]):
        if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", line):
            return line
        if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z'-]+){1,2}", line):
            return line
    return ""


def what_happened(text: str) -> str:
    """The complaint text without greeting and sign-off lines, whitespace tidied."""
    body = _GREETING.sub("", text, count=1)
    signoff = _SIGNOFF.search(body)
    if signoff:
        body = body[: signoff.start()]
    body = re.sub(r"[ \t]+", " ", body)
    body = re.sub(r"\n\s*\n+", "\n\n", body).strip()
    return body[:4000]


def summarise(subject: str, happened: str, language: str) -> str:
    """One short restatement for the acknowledgment, cut on a sentence boundary."""
    limit = 200 if language == "zh" else 300
    text = " ".join(happened.split())
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    summary = ""
    for sentence in sentences:
        candidate = f"{summary}{'' if language == 'zh' else ' '}{sentence}".strip()
        if len(candidate) > limit:
            break
        summary = candidate
    if not summary:
        summary = text[: limit - 1] + ("…" if len(text) >= limit else "")
    elif len(summary) < len(text):
        summary += "…"
    topic = subject.strip()
    if topic and topic.lower() not in _GENERIC_SUBJECTS and topic not in summary:
        summary = f"{topic}{'：' if language == 'zh' else ': '}{summary}"
    return summary


def extract_fields(
    *,
    text: str,
    subject: str,
    from_name: str,
    from_address: str,
    default_region: str = "CN",
    order_pattern: str = r"\b(?:[A-Z]{2,4}-?\d{6,12}|\d{12,20})\b",
) -> ExtractedFields:
    """All record-form fields we can read from one complaint mail."""
    phones = find_phones(text, default_region)
    language = detect_language(f"{subject}\n{text}")
    happened = what_happened(text)
    contact = _CONTACT_EMAIL.search(text)
    return ExtractedFields(
        customer_name=customer_name(text, from_name, from_address),
        customer_email=(contact.group(1) if contact else from_address).lower(),
        phones=phones,
        order_numbers=find_order_numbers(f"{subject}\n{text}", order_pattern, phones),
        language=language,
        what_happened=happened,
        demands=find_demands(f"{subject}\n{text}"),
        summary=summarise(subject, happened, language),
    )
