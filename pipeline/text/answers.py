"""What a customer's short answer means: agreement to a resolution, a satisfaction score.

Customers answer the written-resolution notice with "同意", "好的，没问题", "I agree" or
"I do NOT agree, the refund is too low", and the satisfaction survey with "5", "5分",
"非常满意" or "quite satisfied". The process closes a case only on agreement, so
this module errs on the side of "unclear" (None), which sends the answer to staff:
a negation anywhere near the key word wins over the key word, and an answer that
says both is unclear. It looks only at the new text of a reply (quotes stripped by
the caller) and only at its first lines, where people answer.
"""

from __future__ import annotations

import re

ANSWER_CHARS = 300
"""Agreement is said at the top; a long reply is an argument for staff to read."""

_DISAGREE = re.compile(
    r"不同意|不接受|不认可|不满意|不行|不可以|不能接受|拒绝|没法接受|无法接受|不太同意"
    r"|\b(?:disagree|do\s+not\s+agree|don'?t\s+agree|not\s+agree|cannot\s+accept|can'?t\s+accept"
    r"|do\s+not\s+accept|don'?t\s+accept|not\s+acceptable|unacceptable|reject|refuse|not\s+ok(?:ay)?)\b",
    re.IGNORECASE,
)
_AGREE = re.compile(
    r"同意|接受|认可|没问题|可以的?|好的|行的?|就这样|确认"
    r"|\b(?:i\s+agree|agreed?|i\s+accept|accepted|accept|ok(?:ay)?|fine\s+with|that'?s\s+fine"
    r"|sounds\s+good|yes|confirm(?:ed)?)\b",
    re.IGNORECASE,
)


def _head(text: str) -> str:
    return " ".join(text.strip().split())[:ANSWER_CHARS]


def agreement(text: str) -> bool | None:
    """True if the answer agrees, False if it refuses, None if a person should read it."""
    head = _head(text)
    if not head:
        return None
    disagrees = _DISAGREE.search(head) is not None
    # Remove the refusals before looking for agreement: "不同意" contains "同意".
    agrees = _AGREE.search(_DISAGREE.sub(" ", head)) is not None
    if disagrees == agrees:
        return None
    return agrees


_SCORE_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"非常不满意|很不满意|极不满意|\bvery\s+(?:un|dis)satisfied\b|\bterrible\b",
                re.IGNORECASE), 1),
    (re.compile(r"不满意|不太满意|\b(?:un|dis)satisfied\b|\bpoor\b|\bbad\b", re.IGNORECASE), 2),
    (re.compile(r"一般|还行|还可以|\b(?:ok(?:ay)?|average|so-so|neutral)\b", re.IGNORECASE), 3),
    (re.compile(r"非常满意|很满意|特别满意|\bvery\s+(?:satisfied|happy|good)\b|\bexcellent\b",
                re.IGNORECASE), 5),
    (re.compile(r"满意|\b(?:satisfied|happy|good)\b", re.IGNORECASE), 4),
)
_SCORE_NUMBER = re.compile(
    r"(?<![\d.])([1-5])(?:\s*(?:分|星|/\s*5|out\s+of\s+5|points?|stars?))?(?![\d.])"
)


def satisfaction_score(text: str) -> int | None:
    """A score from 1 (very dissatisfied) to 5 (very satisfied), or None if none is given.

    A digit 1–5 standing alone wins ("5", "4分", "3/5"); otherwise the first matching
    phrase, tried from the most specific ("非常不满意") to the least ("满意").
    """
    head = _head(text)
    number = _SCORE_NUMBER.search(head)
    if number and len(_SCORE_NUMBER.findall(head)) == 1:
        return int(number.group(1))
    for pattern, score in _SCORE_WORDS:
        if pattern.search(head):
            return score
    return None
