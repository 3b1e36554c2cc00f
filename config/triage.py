"""Categories and severity rules suggested at intake, read from a TOML file.

Deadlines depend on a case's category and severity (``config/policies.toml``), and
"the same kind of complaint gets the same handling", so what makes a complaint
safety-critical (起火, 触电, fire, shock …) is written down once, as data staff can
edit: the built-in ``config/triage.toml`` unless ``COMPLAINTS_TRIAGE_FILE`` names
another.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from config.policies import SEVERITIES
from config.settings import Settings

BUILT_IN = Path(__file__).with_name("triage.toml")


class TriageFileError(ValueError):
    """The triage file cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Category:
    """A kind of complaint, the words that suggest it and the departments that handle it."""

    key: str
    name_zh: str
    name_en: str
    departments: tuple[str, ...]
    keywords: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


@dataclass(frozen=True)
class SeverityRule:
    """Words that make a complaint this severe (the first matching rule wins)."""

    level: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Triage:
    categories: tuple[Category, ...]
    severity_rules: tuple[SeverityRule, ...]

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)


def _texts(value: object, path: Path, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TriageFileError(f"{path}: {what} must be a list of text.")
    return tuple(v.strip().lower() for v in value if v.strip())


def _category(entry: dict[str, object], path: Path, index: int) -> Category:
    missing = [f for f in ("key", "name_zh", "name_en") if not entry.get(f)]
    if missing:
        raise TriageFileError(f"{path}: category #{index} is missing {', '.join(missing)}.")
    key = str(entry["key"])
    if len(key) > 32:
        raise TriageFileError(f"{path}: category key '{key}' is longer than 32 characters.")
    return Category(key=key, name_zh=str(entry["name_zh"]), name_en=str(entry["name_en"]),
                    departments=_texts(entry.get("departments", []), path, f"departments of {key}"),
                    keywords=_texts(entry.get("keywords", []), path, f"keywords of {key}"))


def _rule(entry: dict[str, object], path: Path, index: int) -> SeverityRule:
    level = str(entry.get("level", ""))
    if level not in SEVERITIES:
        raise TriageFileError(f"{path}: severity rule #{index} has an unknown level '{level}'"
                              f" (use one of {', '.join(SEVERITIES)}).")
    return SeverityRule(level, _texts(entry.get("words", []), path, f"words of rule #{index}"))


@cache
def read_triage(path: Path) -> Triage:
    """Parse and check one triage file (cached)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TriageFileError(f"{path}: cannot be read: {exc}") from exc
    categories = tuple(_category(e, path, i + 1) for i, e in enumerate(data.get("category", [])))
    if not categories:
        raise TriageFileError(f"{path}: no [[category]] entries.")
    keys = [c.key for c in categories]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TriageFileError(f"{path}: category key used twice: {', '.join(duplicates)}.")
    rules = tuple(_rule(e, path, i + 1) for i, e in enumerate(data.get("severity", [])))
    return Triage(categories, rules)


def load_triage(settings: Settings) -> Triage:
    """The configured categories and severity rules."""
    return read_triage(Path(settings.triage_file) if settings.triage_file else BUILT_IN)
