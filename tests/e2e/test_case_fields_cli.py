"""Classification, routing and the person responsible from the command line (issue 13).

GIVEN a complaint about two heaters with no word that names a category, taken in by
``complaints ingest``, intake has suggested the product, the quantity and a normal
severity but no category; routing is refused (exit 2, both languages) until staff set
it; once staff raise the severity to high, the deadline follows the policy for high
severity, and the deadline letter names the handler made responsible.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails

pytestmark = pytest.mark.slow
REF = "CP-{year}-000001"


def _add_user(tmp_path: Path, env: dict[str, str], *args: str) -> None:
    added = subprocess.run([sys.executable, "-m", "workers", "users", "add", *args,
                            "--password-stdin"], cwd=tmp_path, env=env,
                           input="a long enough secret\n", capture_output=True, text=True,
                           timeout=120, check=False)
    assert added.returncode == 0, added.stderr


def _show(tmp_path: Path, env: dict[str, str], reference: str) -> dict:  # type: ignore[type-arg]
    shown = complaints("cases", "show", reference, "--json", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_update_route_and_assign_from_the_command_line(tmp_path: Path) -> None:
    env = clean_env()
    mail = tmp_path / "heater.eml"
    mail.write_bytes(mails.complaint(
        sender="赵敏 <zhaomin@customer.example>", subject="取暖器",
        body="你好，我买的2台取暖器，想请你们派人上门看看，请回电。\n赵敏\n"))
    taken = complaints("ingest", str(mail), cwd=tmp_path, env=env)
    assert taken.returncode == 0, taken.stderr
    listed = json.loads(complaints("cases", "list", "--json", cwd=tmp_path, env=env).stdout)
    reference = listed[0]["reference"]
    assert (listed[0]["department"], listed[0]["handler"], listed[0]["deadline"]) == (
        None, None, None)
    case = _show(tmp_path, env, reference)
    assert (case["severity"], case["product"], case["quantity"]) == (
        "normal", "取暖器 H2 / Heater H2", 2)
    assert case["category"] == "" and case["taken_by"] == "system"

    _add_user(tmp_path, env, "mei", "--role", "handler", "--department", "quality",
              "--name", "李美 <Mei>")
    _add_user(tmp_path, env, "sam", "--role", "supervisor")
    _add_user(tmp_path, env, "lou", "--role", "handler", "--department", "logistics")

    refused = complaints("cases", "route", reference, "--department", "quality", "--by", "ivy",
                         cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert "category and the severity" in refused.stderr and "严重程度" in refused.stderr
    assert _show(tmp_path, env, reference)["status"] == "new"

    bad = complaints("cases", "update", reference, "--category", "weather", "--by", "ivy",
                     cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "Category: one of" in bad.stderr
    updated = complaints("cases", "update", reference, "--category", "quality", "--severity",
                         "high", "--product", "电饭锅", "--quantity", "3", "--by", "ivy",
                         cwd=tmp_path, env=env)
    assert updated.returncode == 0, updated.stderr

    wrong_handler = complaints("cases", "route", reference, "--department", "quality",
                               "--handler", "lou", "--by", "ivy", cwd=tmp_path, env=env)
    assert wrong_handler.returncode == 2 and "not a handler of the department" in \
        wrong_handler.stderr
    routed = complaints("cases", "route", reference, "--department", "quality", "--handler",
                        "mei", "--by", "ivy", cwd=tmp_path, env=env)
    assert routed.returncode == 0, routed.stderr

    case = _show(tmp_path, env, reference)
    assert (case["category"], case["severity"], case["product"], case["quantity"]) == (
        "quality", "high", "电饭煲 R5 / Rice cooker R5", 3)
    assert (case["status"], case["department"], case["handler"]) == ("routed", "quality", "mei")
    deadline_set = next(e for e in case["events"] if e["action"] == "deadline_set")
    assert deadline_set["detail"]["working_days"] == 5  # policies.toml: any category, high
    assert case["deadline"] == deadline_set["detail"]["due_at"][:10]
    corrected = next(e for e in case["events"] if e["action"] == "corrected")
    assert corrected["by"] == "ivy" and corrected["detail"]["changes"]["quantity"] == {
        "old": 2, "new": 3}
    letters = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
               for p in (tmp_path / "var" / "mail" / "outbox").glob("*.eml")]
    deadline = [m for m in letters if "预计" in str(m["Subject"])]
    assert len(deadline) == 1
    body = deadline[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "李美 <Mei>" in body
    html = deadline[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "李美 &lt;Mei&gt;" in html and "<Mei>" not in html

    not_allowed = complaints("cases", "assign", reference, "--handler", "mei", "--by", "lou",
                             cwd=tmp_path, env=env)
    assert not_allowed.returncode == 2 and "may not assign" in not_allowed.stderr
    _add_user(tmp_path, env, "qiu", "--role", "handler", "--department", "quality")
    taken = complaints("cases", "assign", reference, "--handler", "qiu", "--by", "qiu",
                       cwd=tmp_path, env=env)
    assert taken.returncode == 0, taken.stderr
    reassigned = complaints("cases", "assign", reference, "--handler", "mei", "--by", "sam",
                            cwd=tmp_path, env=env)
    assert reassigned.returncode == 0, reassigned.stderr
    case = _show(tmp_path, env, reference)
    moves = [(e["by"], e["detail"]["from"], e["detail"]["to"]) for e in case["events"]
             if e["action"] == "handler_assigned"]
    assert moves == [("ivy", None, "mei"), ("qiu", "mei", "qiu"), ("sam", "qiu", "mei")]
    listed = json.loads(complaints("cases", "list", "--json", cwd=tmp_path, env=env).stdout)
    assert (listed[0]["department"], listed[0]["handler"], listed[0]["deadline"]) == (
        "quality", "mei", case["deadline"])
