"""Departments come from a TOML file; a bad file fails with a message naming the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.departments import (
    DepartmentsFileError,
    department_by_key,
    load_departments,
    read_departments,
)
from config.settings import Settings


def test_built_in_departments_cover_the_process() -> None:
    departments = load_departments(Settings())
    assert [d.key for d in departments] == ["production", "quality", "rnd", "sales", "logistics"]
    quality = department_by_key(departments, "quality")
    assert quality is not None
    assert quality.name("zh") == "质量管理部" and quality.name("en") == "Quality management"
    assert "漏水" in quality.keywords and "broken" in quality.keywords
    assert department_by_key(departments, "nope") is None
    assert department_by_key(departments, None) is None


def test_a_configured_file_replaces_the_built_in_one(tmp_path: Path) -> None:
    path = tmp_path / "departments.toml"
    path.write_text(
        '[[department]]\nkey = "service"\nname_en = "Service"\nname_zh = "服务部"\n'
        'email = "service@example.org"\nkeywords = ["Rude "]\n',
        encoding="utf-8",
    )
    (service,) = load_departments(Settings(departments_file=str(path)))
    assert service.email == "service@example.org"
    assert service.keywords == ("rude",)
    assert service.manager == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no [[department]] entries"),
        ("[[department]]\nkey = 'a'\n", "missing name_en, name_zh, email"),
        ("[[department]\n", "cannot be read"),
        (
            "[[department]]\nkey='a'\nname_en='A'\nname_zh='甲'\nemail='a@x'\n" * 2,
            "key used twice: a",
        ),
        ("[[department]]\nkey='a'\nname_en='A'\nname_zh='甲'\nemail='a@x'\nkeywords='x'\n",
         "must be a list"),
    ],
)
def test_bad_departments_file_names_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DepartmentsFileError, match=re.escape(message)):
        read_departments(path)
