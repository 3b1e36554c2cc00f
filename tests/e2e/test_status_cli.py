"""``complaints cases status-link``: staff can give a customer the link their letters carry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails

pytestmark = pytest.mark.slow


def test_status_link_is_the_one_in_the_acknowledgment(tmp_path: Path) -> None:
    env = clean_env()
    mail = tmp_path / "complaint.eml"
    mail.write_bytes(mails.complaint())
    assert complaints("ingest", str(mail), cwd=tmp_path, env=env).returncode == 0
    reference = json.loads(complaints("cases", "list", "--json", cwd=tmp_path,
                                      env=env).stdout)[0]["reference"]

    shown = complaints("cases", "status-link", reference, "--json", cwd=tmp_path, env=env)

    assert shown.returncode == 0, shown.stderr
    link = json.loads(shown.stdout)
    assert link["url"].startswith("http://127.0.0.1:8000/status/")
    assert (link["reference"], link["works"], link["works_until"]) == (reference, True, None)
    case = json.loads(complaints("cases", "show", reference, "--json", cwd=tmp_path,
                                 env=env).stdout)
    (ack,) = [c for c in case["correspondence"] if c["kind"] == "acknowledgment"]
    assert link["url"] in ack["text"]
    missing = complaints("cases", "status-link", "CP-2026-999999", cwd=tmp_path, env=env)
    assert missing.returncode == 1
