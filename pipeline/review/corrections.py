"""Correcting what the machine parsed, field by field, on the record.

Review is the software's version of reading the complaint back to the customer, so
every correction is checked the way a clerk would (a phone number that is a phone
number, an email address that can receive mail) and recorded with the old and the new
value: the audit trail shows what the parser got wrong and who fixed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers
from sqlalchemy.orm import Session

from config.policies import SEVERITIES
from letters.compose import is_sendable_address
from pipeline.cases.events import record_event
from pipeline.db.models import Case
from pipeline.text.demands import DEMAND_CODES

TEXT_LIMITS = {
    "customer_name": 200, "customer_address": 2000, "subject": 500, "what_happened": 100_000,
    "product": 200, "category": 32,
}


class CorrectionError(ValueError):
    """A value that cannot be right; the message says which field and why, for staff."""


def _phone(value: Any, region: str) -> str:
    text = str(value).strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise CorrectionError(f"Phone: '{text}' is not a phone number. "
                              "/ 电话：这不是电话号码。") from exc
    if not phonenumbers.is_valid_number(number):
        raise CorrectionError(f"Phone: '{text}' is not a valid phone number. / 电话：号码无效。")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: Any, _region: str) -> str:
    email = str(value).strip()
    if email and not is_sendable_address(email):
        raise CorrectionError(f"Email: '{email}' is not an address mail can be sent to. "
                              "/ 邮箱：无法发信到这个地址。")
    return email


def _choice(label: str, allowed: tuple[str, ...]) -> Callable[[Any, str], str]:
    def check(value: Any, _region: str) -> str:
        if value not in allowed:
            raise CorrectionError(f"{label}: one of {', '.join(allowed)}. / 只能选其中之一。")
        return str(value)
    return check


def _quantity(value: Any, _region: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        quantity = int(value)
    except (TypeError, ValueError) as exc:
        raise CorrectionError("Quantity: a whole number. / 数量：请填整数。") from exc
    if not 0 <= quantity <= 10_000_000:
        raise CorrectionError("Quantity: between 0 and 10,000,000. / 数量：0 到 10,000,000 之间。")
    return quantity


def _items(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def _demands(value: Any, _region: str) -> list[str]:
    items = _items(value)
    unknown = [d for d in items if d not in DEMAND_CODES]
    if unknown:
        raise CorrectionError(f"Demands: unknown {', '.join(unknown)}. / 诉求：未知选项。")
    return items


def _text(name: str) -> Callable[[Any, str], str]:
    def check(value: Any, _region: str) -> str:
        text = str(value).strip()
        if len(text) > TEXT_LIMITS[name]:
            raise CorrectionError(f"{name}: at most {TEXT_LIMITS[name]} characters. "
                                  f"/ 最多 {TEXT_LIMITS[name]} 个字符。")
        return text
    return check


CHECKS: dict[str, Callable[[Any, str], Any]] = {
    **{name: _text(name) for name in TEXT_LIMITS},
    "customer_email": _email,
    "customer_phone": _phone,
    "language": _choice("Language", ("zh", "en")),
    "severity": _choice("Severity", SEVERITIES),
    "quantity": _quantity,
    "demands": _demands,
    "order_numbers": lambda value, _region: _items(value),
}
"""One check per editable field: it returns the clean value or says what is wrong."""


def correct_fields(
    session: Session, *, case: Case, changes: Mapping[str, Any], by: str, region: str
) -> dict[str, tuple[Any, Any]]:
    """Apply staff corrections; returns {field: (old, new)} for the fields that changed.

    All values are checked before any is applied, so a form with one bad field changes
    nothing and the member of staff fixes it and submits again.
    """
    unknown = sorted(set(changes) - set(CHECKS))
    if unknown:
        raise CorrectionError(f"These fields cannot be edited: {', '.join(unknown)}. "
                              "/ 这些字段不能修改。")
    checked = {name: CHECKS[name](value, region) for name, value in changes.items()}
    changed = {name: (getattr(case, name), new) for name, new in checked.items()
               if getattr(case, name) != new}
    for name, (_, new) in changed.items():
        setattr(case, name, new)
    if "customer_phone" in changed:
        case.customer_phone_written = ""  # staff's number is shown as they entered it
    if "customer_phone" in changed and case.customer_phone:
        case.phone_candidates = list(dict.fromkeys([case.customer_phone, *case.phone_candidates]))
    if changed:
        trail = {name: {"old": old, "new": new} for name, (old, new) in changed.items()}
        record_event(session, case=case, action="corrected", by=by, changes=trail)
    return changed
