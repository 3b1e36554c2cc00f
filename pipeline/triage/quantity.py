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

# "一" is left out: "一个问题", "一台" read as "a problem", "a unit" more often than as a
# count. A count in Chinese words never goes with the all-purpose "个" ("三个问题").
_CHINESE_DIGITS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                   "九": 9, "十": 10}
_ZH_UNITS = "台个件箱只套部瓶盒包双张把条袋桶罐支"
_NOT_ITEMS = "月小钟星礼工天周年人次问地原方"  # 个月, 个小时, 个工作日, 个问题, 个地方 …
_ZH = re.compile(rf"(?<![\d.])(\d{{1,5}})\s*([{_ZH_UNITS}])(?![{_NOT_ITEMS}])")
_ZH_WORDS = re.compile(rf"(?<![\d一二三四五六七八九十百千万])([{''.join(_CHINESE_DIGITS)}])"
                       rf"([{_ZH_UNITS.replace('个', '')}])(?![{_NOT_ITEMS}])")
_EN = re.compile(r"(?<![\w.])(\d{1,5})\s*(?:x\s*)?(units?|pcs|pieces?|items?|boxes|box|"
                 r"bottles?|sets?|packs?|cartons?|bags?|pairs?|kettles?|machines?)\b",
                 re.IGNORECASE)


def read_quantity(text: str) -> int | None:
    """The one item count the text states, or None when it states none or several."""
    found: set[int] = set()
    for number, _unit in _ZH.findall(text):
        found.add(int(number))
    for word, _unit in _ZH_WORDS.findall(text):
        found.add(_CHINESE_DIGITS[word])
    for number, _unit in _EN.findall(text):
        found.add(int(number))
    counts = {n for n in found if 0 < n <= MAX_QUANTITY}
    return counts.pop() if len(counts) == 1 and counts == found else None
