"""Handling policies read from a TOML file: deadlines, approval authority, follow-up.

"The same kind of complaint gets the same handling, whoever handles it" is one of the
users' principles, so these rules are data in one file rather than judgement calls in
code: the built-in ``config/policies.toml`` unless ``policies_file`` names another.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from config.settings import Settings
from pipeline.deadlines.calendar import WorkCalendar

BUILT_IN = Path(__file__).with_name("policies.toml")
SEVERITIES = ("low", "normal", "high", "critical")
HANDLING_METHODS = (
    "compensation", "return", "discount", "replacement", "repair", "apology", "explanation",
    "other",
)


class PoliciesFileError(ValueError):
    """The policies file cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class DeadlineRule:
    """Cases of this category and severity ("*" for any) get this many working days."""

    category: str
    severity: str
    working_days: int

    def matches(self, category: str, severity: str) -> bool:
        return self.category in ("*", category) and self.severity in ("*", severity)


@dataclass(frozen=True)
class Policies:
    """Every handling policy the workflow consults."""

    default_working_days: int
    remind_working_days_before: int
    end_of_day_hour: int
    rules: tuple[DeadlineRule, ...]
    authority_limit: float
    always_approve: frozenset[str]
    fixed_policy: frozenset[str]
    follow_up_days: int
    reopen_grace_days: int
    calendar: WorkCalendar
    dispute_max_rounds: int = 2
    agreement_remind_after_days: int = 7
    agreement_close_after_days: int = 14

    def working_days_for(self, category: str, severity: str) -> int:
        """The resolution deadline, in working days, for a case of this kind."""
        rule = next((r for r in self.rules if r.matches(category, severity)), None)
        return rule.working_days if rule else self.default_working_days

    def needs_approval(self, method: str, compensation: float) -> bool:
        """Whether a proposed resolution must go to a supervisor before the customer."""
        if method in self.always_approve or compensation > self.authority_limit:
            return True
        return method not in self.fixed_policy


def _dates(values: Any, path: Path, what: str) -> frozenset[date]:
    try:
        return frozenset(v if isinstance(v, date) else date.fromisoformat(v) for v in values)
    except (TypeError, ValueError) as exc:
        message = f"{path}: {what} must be a list of YYYY-MM-DD dates ({exc})."
        raise PoliciesFileError(message) from exc


def _rules(entries: Any, path: Path) -> tuple[DeadlineRule, ...]:
    rules = []
    for index, entry in enumerate(entries, start=1):
        severity = str(entry.get("severity", "*"))
        if severity != "*" and severity not in SEVERITIES:
            raise PoliciesFileError(
                f"{path}: deadline rule #{index} has an unknown severity '{severity}'"
                f" (use one of {', '.join(SEVERITIES)} or *)."
            )
        days = entry.get("working_days")
        if not isinstance(days, int) or days < 1:
            raise PoliciesFileError(f"{path}: deadline rule #{index} needs working_days ≥ 1.")
        rules.append(DeadlineRule(str(entry.get("category", "*")), severity, days))
    return tuple(rules)


def _methods(values: Any, path: Path, what: str) -> frozenset[str]:
    unknown = sorted(set(values) - set(HANDLING_METHODS))
    if unknown:
        names = ", ".join(unknown)
        raise PoliciesFileError(f"{path}: {what} names unknown handling methods: {names}.")
    return frozenset(values)


def _dispute_and_silence(data: dict[str, Any], path: Path) -> dict[str, int]:
    """``disputes.max_rounds`` and the ``agreement`` waits, checked."""
    rounds = int(data.get("disputes", {}).get("max_rounds", 2))
    remind = int(data.get("agreement", {}).get("remind_after_days", 7))
    close = int(data.get("agreement", {}).get("close_after_days", 14))
    if rounds < 1:
        raise PoliciesFileError(f"{path}: disputes.max_rounds must be at least 1.")
    if not 1 <= remind < close:
        raise PoliciesFileError(f"{path}: agreement.remind_after_days must be at least 1 and"
                                " less than agreement.close_after_days.")
    return {"dispute_max_rounds": rounds, "agreement_remind_after_days": remind,
            "agreement_close_after_days": close}


@cache
def read_policies(path: Path) -> Policies:
    """Parse and check one policies file (cached)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        deadlines, approval = data["deadlines"], data["approval"]
        calendar = data.get("calendar", {})
        return Policies(
            default_working_days=int(deadlines["default_working_days"]),
            remind_working_days_before=int(deadlines.get("remind_working_days_before", 1)),
            end_of_day_hour=int(deadlines.get("end_of_day_hour", 18)),
            rules=_rules(deadlines.get("rule", []), path),
            authority_limit=float(approval["authority_limit"]),
            always_approve=_methods(approval.get("always", []), path, "approval.always"),
            fixed_policy=_methods(approval.get("fixed_policy", []), path, "approval.fixed_policy"),
            follow_up_days=int(data.get("follow_up", {}).get("days_after_close", 7)),
            reopen_grace_days=int(data.get("reopen", {}).get("grace_days", 14)),
            **_dispute_and_silence(data, path),
            calendar=WorkCalendar(
                weekend=frozenset(int(d) for d in calendar.get("weekend", [6, 7])),
                holidays=_dates(calendar.get("holidays", []), path, "calendar.holidays"),
                working_weekend_days=_dates(
                    calendar.get("working_weekend_days", []), path, "calendar.working_weekend_days"
                ),
            ),
        )
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PoliciesFileError(f"{path}: cannot be read: {exc}") from exc
    except KeyError as exc:
        raise PoliciesFileError(f"{path}: the setting {exc} is missing.") from exc


def load_policies(settings: Settings) -> Policies:
    """The configured policies."""
    return read_policies(Path(settings.policies_file) if settings.policies_file else BUILT_IN)
