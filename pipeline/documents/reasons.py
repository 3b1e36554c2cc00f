"""Why a scan could not be read: said plainly, in English and Chinese, for staff."""

from __future__ import annotations


class Unreadable(Exception):
    """The file cannot become a letter; ``reason`` is shown to staff as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def both(english: str, chinese: str) -> str:
    return f"{english} / {chinese}"
