"""Staff accounts and customers' personal data from the command line."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails

pytestmark = pytest.mark.slow


def _stdin(args: list[str], text: str, cwd: Path, env: dict[str, str]
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers", *args], cwd=cwd, env=env,
                          input=text, capture_output=True, text=True, timeout=120, check=False)


def _user_line(cwd: Path, env: dict[str, str], name: str) -> str:
    listed = complaints("users", "list", cwd=cwd, env=env).stdout
    found = re.search(rf"^{name}\s.*$", listed, re.M)
    assert found, listed
    return found.group(0)


def test_users_life_cycle_from_the_cli(tmp_path: Path) -> None:
    env = clean_env()
    for name, role in (("ada", "admin"), ("mei", "handler")):
        added = _stdin(["users", "add", name, "--role", role, "--department", "logistics",
                        "--password-stdin"], "a long enough secret\n", tmp_path, env)
        assert added.returncode == 0, added.stderr
    changed = _stdin(["users", "passwd", "mei", "--password-stdin"], "another long secret\n",
                     tmp_path, env)
    assert changed.returncode == 0 and "Password of mei set" in changed.stdout
    assert _stdin(["users", "passwd", "mei", "--password-stdin"], "short\n", tmp_path,
                  env).returncode == 2

    disabled = complaints("users", "disable", "mei", "--by", "ada", cwd=tmp_path, env=env)
    assert disabled.returncode == 0, disabled.stderr
    assert "disabled" in _user_line(tmp_path, env, "mei")
    complaints("users", "enable", "mei", "--by", "ada", cwd=tmp_path, env=env)
    assert "active" in _user_line(tmp_path, env, "mei")
    role = complaints("users", "set-role", "mei", "--role", "intake", "--by", "ada",
                      cwd=tmp_path, env=env)
    assert role.returncode == 0 and "mei is now intake." in role.stdout
    assert re.match(r"mei\s+intake\s+-", _user_line(tmp_path, env, "mei"))
    last_admin = complaints("users", "disable", "ada", "--by", "ada", cwd=tmp_path, env=env)
    assert last_admin.returncode == 2 and "last active admin" in last_admin.stderr

    reset = complaints("users", "reset", "mei", "--by", "ada", cwd=tmp_path, env=env)
    assert reset.returncode == 0, reset.stderr
    assert re.search(r"Temporary password for mei: \S{12,}", reset.stdout)
    no_mail = complaints("users", "reset", "mei", "--link", "--by", "ada", cwd=tmp_path, env=env)
    assert no_mail.returncode == 2 and "no mail address" in no_mail.stderr

    with sqlite3.connect(tmp_path / "var" / "complaints.db") as db:
        assert db.execute("SELECT must_change_password FROM users WHERE username = 'mei'"
                          ).fetchone() == (1,)
        actions = [row[0] for row in db.execute("SELECT action FROM staff_audit ORDER BY id")]
    assert actions == ["user_added", "user_added", "password_set", "user_disabled",
                       "user_enabled", "role_changed", "password_reset"]


def test_customers_export_and_erase_from_the_cli(tmp_path: Path) -> None:
    env = clean_env()
    mail = tmp_path / "complaint.eml"
    mail.write_bytes(mails.complaint(sender="Mona Vale <mona@customer.example>",
                                     body="My blender from the Vale family shop broke.\n"))
    assert complaints("ingest", str(mail), cwd=tmp_path, env=env).returncode == 0

    out = tmp_path / "mona"
    exported = complaints("customers", "export", "--email", "MONA@customer.example",
                          "--out", str(out), cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    data = json.loads((out / "data.json").read_text("utf-8"))
    assert data["cases"][0]["customer_name"] == "Mona Vale"
    assert (out / data["mails"][0]["file"]).read_bytes() == mail.read_bytes()
    assert complaints("customers", "export", "--out", str(out), cwd=tmp_path,
                      env=env).returncode == 2  # neither mail nor phone

    args = ["customers", "erase", "--email", "mona@customer.example", "--reason", "asked",
            "--by", "ada"]
    declined = _stdin(args, "n\n", tmp_path, env)
    assert declined.returncode == 1 and "CP-" in declined.stdout
    erased = complaints(*args, "--yes", cwd=tmp_path, env=env)
    assert erased.returncode == 0 and "Erased: 1 case(s), 1 mail(s)" in erased.stdout
    again = complaints(*args, "--yes", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "Nothing to erase" in again.stdout
    shown = complaints("cases", "list", "--json", cwd=tmp_path, env=env)
    assert "Mona" not in shown.stdout and "[erased]" in shown.stdout
    assert b"Mona" not in (tmp_path / "var" / "complaints.db").read_bytes()
