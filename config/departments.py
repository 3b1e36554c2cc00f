"""The departments a complaint can be routed to, read from a TOML file.

Departments change more often than code (a new manager, a new address), so they live
in a file staff can edit: the built-in ``config/departments.toml`` unless the setting
``departments_file`` names another. A malformed file stops the program at start-up
with a message naming the file and the problem, rather than routing cases to nowhere.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from config.settings import Settings

BUILT_IN = Path(__file__).with_name("departments.toml")


class DepartmentsFileError(ValueError):
    """The departments file cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Department:
    """One department: who receives its cases and which words point to it."""

    key: str
    name_en: str
    name_zh: str
    email: str
    manager: str
    keywords: tuple[str, ...]

    def name(self, language: str) -> str:
        """The department's name in the reader's language."""
        return self.name_zh if language == "zh" else self.name_en


def _department(entry: object, path: Path, index: int) -> Department:
    if not isinstance(entry, dict):
        raise DepartmentsFileError(f"{path}: department #{index} is not a table.")
    missing = [f for f in ("key", "name_en", "name_zh", "email") if not entry.get(f)]
    if missing:
        raise DepartmentsFileError(
            f"{path}: department #{index} is missing {', '.join(missing)}."
        )
    keywords = entry.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise DepartmentsFileError(f"{path}: keywords of '{entry['key']}' must be a list of text.")
    return Department(
        key=str(entry["key"]),
        name_en=str(entry["name_en"]),
        name_zh=str(entry["name_zh"]),
        email=str(entry["email"]),
        manager=str(entry.get("manager", "")),
        keywords=tuple(k.strip().lower() for k in keywords if k.strip()),
    )


@cache
def read_departments(path: Path) -> tuple[Department, ...]:
    """Parse one departments file (cached: it is read on every routing decision)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DepartmentsFileError(f"{path}: cannot be read: {exc}") from exc
    entries = data.get("department", [])
    departments = tuple(_department(e, path, i + 1) for i, e in enumerate(entries))
    if not departments:
        raise DepartmentsFileError(f"{path}: no [[department]] entries.")
    keys = [d.key for d in departments]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise DepartmentsFileError(f"{path}: department key used twice: {', '.join(duplicates)}.")
    return departments


def load_departments(settings: Settings) -> tuple[Department, ...]:
    """The configured departments, in the file's order."""
    path = Path(settings.departments_file) if settings.departments_file else BUILT_IN
    return read_departments(path)


def department_by_key(departments: Sequence[Department], key: str | None) -> Department | None:
    """The department with this key, or None for an unknown or empty key."""
    return next((d for d in departments if d.key == key), None)
