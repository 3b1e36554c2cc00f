"""The record form's field names as staff read them, in Chinese and English.

Notes stored on a case (the attention line) are read by staff of either language, so
they name fields by these labels, never by the internal keys.
"""

from __future__ import annotations

FIELD_LABELS: dict[str, tuple[str, str]] = {  # key: (Chinese, English)
    "customer_name": ("客户姓名", "name"),
    "customer_address": ("地址", "address"),
    "customer_phone": ("联系电话", "phone"),
    "customer_email": ("电子邮箱", "e-mail"),
    "letter_date": ("来信日期", "letter date"),
    "what_happened": ("投诉内容", "what happened"),
    "order_numbers": ("订单号", "order numbers"),
    "amounts": ("金额", "amounts"),
    "demands": ("客户要求", "demands"),
}


def field_label(key: str) -> str:
    """``联系电话 / phone`` for ``customer_phone``; an unknown key stays as it is."""
    zh, en = FIELD_LABELS.get(key, (key, key))
    return key if zh == en else f"{zh} / {en}"
