"""``complaints templates`` from the command line: a refused edit exits 2, a saved one is
what the next acknowledgment says (in another process), and revert brings back any
version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails

pytestmark = pytest.mark.slow
NAME = "acknowledgment.en.txt.j2"


def test_templates_set_show_list_and_revert(tmp_path: Path) -> None:
    env = clean_env()
    bad = tmp_path / "bad.j2"
    bad.write_text("Dear {{ name }, your case {{ reference }}", encoding="utf-8")
    refused = complaints("templates", "set", NAME, "--file", str(bad), "--by", "ada",
                         cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "Not saved" in refused.stderr and "Line 1" in refused.stderr
    unknown = complaints("templates", "show", "nope.txt.j2", cwd=tmp_path, env=env)
    assert unknown.returncode == 2

    good = tmp_path / "good.j2"
    good.write_text("Hello {{ name or 'customer' }}, your case is {{ reference }}.\n",
                    encoding="utf-8")
    saved = complaints("templates", "set", NAME, "--file", str(good), "--by", "ada",
                       cwd=tmp_path, env=env)
    assert saved.returncode == 0, saved.stderr
    listed = json.loads(complaints("templates", "list", "--json", cwd=tmp_path, env=env).stdout)
    row = next(r for r in listed if r["name"] == NAME)
    assert (row["version"], row["saved_by"], row["kind"], row["language"]) == (
        1, "ada", "mail-text", "en")
    assert {r["kind"] for r in listed} == {"mail-text", "mail-html", "mail-subject", "letter"}
    shown = complaints("templates", "show", NAME, cwd=tmp_path, env=env).stdout
    assert shown == good.read_text(encoding="utf-8")

    mail = tmp_path / "complaint.eml"
    mail.write_bytes(mails.complaint())
    assert complaints("ingest", str(mail), cwd=tmp_path, env=env).returncode == 0
    sent = b"".join(p.read_bytes() for p in (tmp_path / "var" / "mail" / "outbox").glob("*.eml"))
    assert b"your case is CP-2026-000001." in sent.replace(b"=\r\n", b"")

    reverted = complaints("templates", "revert", NAME, "--version", "0", "--by", "ada",
                          cwd=tmp_path, env=env)
    assert reverted.returncode == 0 and "restored as version 2" in reverted.stdout
    assert "Thank you for contacting" in complaints("templates", "show", NAME, cwd=tmp_path,
                                                    env=env).stdout
    old = complaints("templates", "show", NAME, "--version", "1", cwd=tmp_path, env=env)
    assert old.stdout == good.read_text(encoding="utf-8")
    assert complaints("templates", "revert", NAME, "--version", "9", "--by", "ada",
                      cwd=tmp_path, env=env).returncode == 2
