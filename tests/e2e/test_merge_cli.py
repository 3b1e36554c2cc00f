"""``complaints cases merge`` from the command line: a duplicate joins its case, or is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails

pytestmark = pytest.mark.slow


def test_merge_a_duplicate_and_refuse_another_customers_case(tmp_path: Path) -> None:
    env = clean_env()
    files = {
        "a.eml": mails.complaint(),
        "b.eml": mails.complaint(subject="The kettle, once more"),
        "c.eml": mails.complaint(sender="Li Na <lina@customer.example>", subject="Late parcel"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    taken = complaints("ingest", *files, cwd=tmp_path, env=env)
    assert taken.returncode == 0, taken.stderr
    listed = json.loads(complaints("cases", "list", "--json", cwd=tmp_path, env=env).stdout)
    first, duplicate, other = (row["reference"] for row in listed)

    refused = complaints("cases", "merge", other, "--into", first, "--by", "ivy",
                         cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert "not of the same customer" in refused.stderr and "不属于同一客户" in refused.stderr

    merged = complaints("cases", "merge", duplicate.lower(), "--into", first, "--by", "ivy",
                        "--json", cwd=tmp_path, env=env)
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout) == {
        "case": duplicate, "merged_into": first, "status": "merged", "correspondence": 2,
        "mails": 1, "attachments": 0}
    shown = json.loads(complaints("cases", "show", duplicate, "--json", cwd=tmp_path,
                                  env=env).stdout)
    assert shown["status"] == "merged" and shown["correspondence"] == []
    assert any(e["action"] == "merged_into" and e["by"] == "ivy" for e in shown["events"])
    target = json.loads(complaints("cases", "show", first, "--json", cwd=tmp_path,
                                   env=env).stdout)
    assert any(e["action"] == "merged_from" and e["detail"]["duplicate"] == duplicate
               for e in target["events"])
    assert len(target["correspondence"]) == 4
    again = complaints("cases", "merge", duplicate, "--into", first, "--by", "ivy",
                       cwd=tmp_path, env=env)
    assert again.returncode == 2 and "no longer open" in again.stderr


def test_queue_lists_open_cases_and_refuses_an_unknown_filter(tmp_path: Path) -> None:
    env = clean_env()
    (tmp_path / "a.eml").write_bytes(mails.complaint())
    assert complaints("ingest", "a.eml", cwd=tmp_path, env=env).returncode == 0
    listed = complaints("cases", "queue", "--json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["status"], row["deadline"], row["overdue"], row["handler"]) == (
        "new", None, False, None)
    assert json.loads(complaints("cases", "queue", "approvals", "--json", cwd=tmp_path,
                                 env=env).stdout) == []
    refused = complaints("cases", "queue", "--view", "everything", cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "未知的筛选条件" in refused.stderr
