"""What the customer asks for (投诉要求), read by keywords in Chinese and English.

Keyword rules, not understanding: staff confirm the demands in review. The rules
skip the cheap-to-spot cases that would mislead a clerk: a demand the customer
waves away ("不需要道歉", "no refund needed"), the customer's own narration ("let me
explain", "I apologise for the long mail") and words that only look alike
("说明书" is a manual, "exchange rate" is no exchange).
"""

from __future__ import annotations

import re

__all__ = ["DEMAND_CODES", "find_demands"]

DEMAND_CODES = (
    "refund",
    "return",
    "replacement",
    "repair",
    "compensation",
    "apology",
    "explanation",
    "discount",
)

_KEYWORDS: dict[str, str] = {
    "refund": r"退款|退钱|退费|返还货款|退还货款|退回货款|把钱退|\brefund\w*|\bmoney back\b"
    r"|\breimburse\w*",
    "return": r"退货|(?<!in )\breturn\b(?! address)|\b(?:send|ship|take) (?:it|them|this|these)"
    r" back\b",
    "replacement": r"换货|更换|调换|换一台|换一个|换个新|换新|补发|重新发货|重发"
    r"|\breplacement\b|\breplace\b|\bexchange\b(?! rate)"
    r"|\b(?:send|ship) (?:me )?the (?:correct|right)\b|\bthe (?:correct|right) (?:item|product)\b",
    "repair": r"维修|修理|修好|\brepair\w*|\bfix\b|\b(?:get|have) (?:it|this|them) fixed\b",
    "compensation": r"赔偿|补偿|赔付|\bcompensat\w*",
    "apology": r"道歉|赔礼|致歉|\bapolog\w*",
    "explanation": r"解释(?!说)|[给要讨][我们个一合理的]{0,4}说法|(?<!这)(?<!就)说明(?!书|了)"
    r"|\bexplanation\b|\bexplain\b",
    "discount": r"折价|打折|折扣|\bdiscount\w*|\bprice reduction\b|\bprice adjustment\b",
}
_PATTERNS = {code: re.compile(rx) for code, rx in _KEYWORDS.items()}
# Substrings every keyword of a code contains: a C-speed ``in`` test spares the regex
# scan (the costly part on a long mail) for the codes a mail cannot contain.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "refund": ("退款", "退钱", "退费", "货款", "把钱退", "refund", "money back", "reimburse"),
    "return": ("退货", "return", " back"),
    "replacement": ("换", "补发", "重新发货", "重发", "replac", "exchange", "correct", "right"),
    "repair": ("维修", "修理", "修好", "repair", "fix"),
    "compensation": ("赔", "补偿", "compensat"),
    "apology": ("道歉", "赔礼", "致歉", "apolog"),
    "explanation": ("解释", "说法", "说明", "expla"),
    "discount": ("折", "discount", "price re", "price ad"),
}

_LEAD = 16  # a keyword starts at most this far before its trigger ("have them fixed")
_MAX_SPOTS = 50  # trigger occurrences looked at per trigger: bounds a hostile mail
_CLAUSE_END = re.compile(r"[，。！？；,.!?;\n]")
_WINDOW = 40  # characters looked at before a keyword, within its clause
# A demand waved away: "不需要道歉", "I don't need an apology", "no need for a refund".
_NEGATED_BEFORE = re.compile(
    r"(?:不需要|不用|不要|无需|不必|没必要|用不着|不求|不想要|不要求|不是要|并非要)[^，。！？；]{0,4}$"
    r"|\b(?:do not|don't|does not|doesn't|did not|didn't|not|never|no)\s+"
    r"(?:need|want|require|expect|ask for|asking for|looking for|interested in)\b[\w\s']{0,12}$"
    r"|\bno need (?:for|to)\b[\w\s']{0,12}$|\bwithout\s+(?:a|an|any|the)?\s*$",
    re.IGNORECASE,
)
# "no refund needed", "退款就不必了": the refusal comes after the keyword.
_BARE_NO = re.compile(r"\bno\s+$", re.IGNORECASE)
_NEEDED_AFTER = re.compile(
    r"^\s*(?:\w+\s+)?(?:is\s+|are\s+)?(?:needed|necessary|required|wanted)\b", re.IGNORECASE
)
_WAIVED_AFTER = re.compile(r"^[^，。！？；]{0,3}?(?:不必了|不用了|不需要了|免了|算了)")
# The customer narrating or apologising themselves: "let me explain", "I apologise".
_SELF = re.compile(r"(?:\b(?:let me|let us|i|we)\b(?:\s+\w+)?\s*|我(?:先|来)?)$", re.IGNORECASE)
_SELF_VERBS = re.compile(r"^(?:apologi[sz]e|explain|解释)$")
# A keyword inside a time clause narrates the past: "办理退货时", "维修后".
_NARRATION_AFTER = re.compile(r"^(?:时|的时候|之后|以后|后|期间|过程中)")


def find_demands(text: str) -> tuple[str, ...]:
    """Demand codes the text asks for, in order of their first mention."""
    lowered = text.lower()  # cheaper than case-insensitive matching of every keyword
    first: dict[str, int] = {}
    for code in _PATTERNS:
        start = _first_demand(lowered, code)
        if start is not None:
            first[code] = start
    return tuple(sorted(first, key=first.__getitem__))


def _first_demand(lowered: str, code: str) -> int | None:
    """Where the first real demand for ``code`` starts, looking only around its triggers.

    A regex scan of a whole 2 KB mail costs ~0.2 ms per code (the patterns defeat the
    engine's first-character shortcut); ``str.find`` on the triggers costs microseconds.
    """
    spots = sorted(spot for trigger in _TRIGGERS[code] for spot in _occurrences(lowered, trigger))
    for spot in spots:
        window = (max(0, spot - _LEAD), min(len(lowered), spot + _LEAD * 3))
        for match in _PATTERNS[code].finditer(lowered, *window):
            if _is_demand(lowered, match):
                return match.start()
    return None


def _occurrences(text: str, trigger: str) -> list[int]:
    found: list[int] = []
    start = text.find(trigger)
    while start >= 0 and len(found) < _MAX_SPOTS:
        found.append(start)
        start = text.find(trigger, start + 1)
    return found


def _is_demand(text: str, match: re.Match[str]) -> bool:
    before = _clause_before(text, match.start())
    after = text[match.end() : match.end() + 20]
    if _NEGATED_BEFORE.search(before):
        return False
    if (
        _NARRATION_AFTER.search(after)
        or _WAIVED_AFTER.search(after)
        or (_BARE_NO.search(before) and _NEEDED_AFTER.search(after))
    ):
        return False
    return not (_SELF_VERBS.match(match.group()) and _SELF.search(before))


def _clause_before(text: str, start: int) -> str:
    """The text before a keyword back to the start of its clause, at most ``_WINDOW``."""
    window = text[max(0, start - _WINDOW) : start]
    ends = list(_CLAUSE_END.finditer(window))
    return window[ends[-1].end() :] if ends else window
