"""The points a customer raised, listed so the written answer can address each one.

The process requires the resolution notice to answer *every* point the customer
raised. A handler working from a wall of text misses some, so the case starts with a
list drafted from the complaint: each sentence that asks for something (a refund, an
explanation) or asks a question, in the customer's own words; demands the extraction
found but no sentence carries get a plain line of their own. Staff edit the list;
this only saves them the typing and the forgetting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.text.demands import find_demands

MAX_POINTS = 12
MAX_POINT_CHARS = 300

DEMAND_POINTS = {
    "zh": {
        "refund": "要求退款", "return": "要求退货", "replacement": "要求换货",
        "repair": "要求维修", "compensation": "要求赔偿", "apology": "要求道歉",
        "explanation": "要求给出解释", "discount": "要求折价",
    },
    "en": {
        "refund": "Asks for a refund", "return": "Asks to return the product",
        "replacement": "Asks for a replacement", "repair": "Asks for a repair",
        "compensation": "Asks for compensation", "apology": "Asks for an apology",
        "explanation": "Asks for an explanation", "discount": "Asks for a price reduction",
    },
}

_QUESTION = re.compile(r"[?？]|吗[。！\s]*$|\b(?:why|when|how|what|who|will you|can you)\b",
                       re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    """Split at line breaks and after Chinese or Latin end punctuation."""
    found: list[str] = []
    for line in text.splitlines():
        found += [part.strip() for part in re.split(r"(?<=[。！？!?])|(?<=\.)\s+", line)]
    return [s for s in found if s]


def raised_points(what_happened: str, demands: Sequence[str], language: str) -> list[str]:
    """Draft the list of points to answer, in the order the customer raised them."""
    points: list[str] = []
    covered: set[str] = set()
    for sentence in _sentences(what_happened):
        asked = find_demands(sentence)
        if asked or _QUESTION.search(sentence):
            point = sentence[:MAX_POINT_CHARS]
            if point not in points:
                points.append(point)
            covered.update(asked)
    wording = DEMAND_POINTS["zh" if language.startswith("zh") else "en"]
    for demand in demands:
        if demand not in covered and demand in wording:
            points.append(wording[demand])
            covered.add(demand)
    return points[:MAX_POINTS]
