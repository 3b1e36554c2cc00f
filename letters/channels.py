"""The record form's channels (投诉方式) as people read them, in both languages.

``cases.channel`` holds the key; every form, report and screen names it from here so
that the statistics count 电话, 现场, 电邮, 信函 and 其他 as the paper form does.
"""

from __future__ import annotations

CHANNEL_NAMES: dict[str, tuple[str, str]] = {
    "phone": ("电话", "Phone"),
    "visit": ("现场", "In person"),
    "email": ("电邮", "Email"),
    "letter": ("信函", "Letter"),
    "other": ("其他", "Other"),
    "onsite": ("现场", "In person"),  # the key's earlier spelling
}


def channel_name(key: str, language: str = "") -> str:
    """``电话 Phone``; only one language when ``language`` is ``zh`` or ``en``."""
    names = CHANNEL_NAMES.get(key)
    if names is None:
        return key
    if language in ("zh", "en"):
        return names[0] if language == "zh" else names[1]
    return f"{names[0]} {names[1]}"
