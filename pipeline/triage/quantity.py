"""Reading how many items a complaint is about, only when the text says it plainly.

The statistics' 数量 column counts items, so a wrong guess is worse than none: a
quantity is read only from a number written next to a counting word ("2台",
"3 units"), and only when the text gives one such number. "2个月" (two months) or
"3个小时" are durations, not items; two different counts leave the field empty for
staff to fill.
"""

from __future__ import annotations

import re

MAX_QUANTITY = 10_000
"""A larger number next to a counting word is a model number or an amount, not a count."""

_CHINESE_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9, "十": 10}
_ZH_UNITS = "台个件箱只套部瓶盒包双张把条袋桶罐支"
_NOT_ITEMS = "月小钟星礼工天周年人次"  # 个月, 个小时, 个钟头, 个星期, 个工作日 …
_ZH = re.compile(rf"(?<![\d.])(\d{{1,5}}|[{''.join(_CHINESE_DIGITS)}])\s*([{_ZH_UNITS}])"
                 rf"(?![{_NOT_ITEMS}])")
_EN = re.compile(r"(?<![\w.])(\d{1,5})\s*(?:x\s*)?(units?|pcs|pieces?|items?|boxes|box|"
                 r"bottles?|sets?|packs?|cartons?|bags?|pairs?|kettles?|machines?)\b",
                 re.IGNORECASE)


def read_quantity(text: str) -> int | None:
    """The one item count the text states, or None when it states none or several."""
    found: set[int] = set()
    for number, _unit in _ZH.findall(text):
        found.add(int(number) if number.isdigit() else _CHINESE_DIGITS[number])
    for number, _unit in _EN.findall(text):
        found.add(int(number))
    counts = {n for n in found if 0 < n <= MAX_QUANTITY}
    return counts.pop() if len(counts) == 1 and counts == found else None
