"""``complaints run`` with a mailboxes file, as an operator runs it: two local mail
folders watched at once, each complaint answered from its own mailbox's address."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

MAILBOXES = """
[[mailbox]]
key = "default"
from_address = "complaints@brand-a.example"
from_name = "Brand A 客户服务部"

[[mailbox]]
key = "shop"
from_address = "shop@brand-b.example"
from_name = "Brand B Shop"
language = "en"
folder = "mail/shop/inbox"
"""


def drop(folder: Path, name: str, raw: bytes) -> None:
    """Deliver like an MTA: write under a temporary name, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f".{name}").write_bytes(raw)
    (folder / f".{name}").rename(folder / name)


def test_run_watches_every_mailbox_and_answers_from_each(tmp_path: Path) -> None:
    env = clean_env()
    (tmp_path / "mailboxes.toml").write_text(MAILBOXES, encoding="utf-8")
    env["COMPLAINTS_MAILBOXES_FILE"] = str(tmp_path / "mailboxes.toml")

    unknown = complaints("poll", "--mailbox", "nope", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "没有键为“nope”的邮箱" in unknown.stderr

    proc = subprocess.Popen([sys.executable, "-m", "workers", "run"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        drop(tmp_path / "var/mail/inbox", "a.eml", mails.complaint(
            sender="王芳 <wang@customer.example>", subject="水壶漏水",
            body="您好，我买的水壶用了两天就漏水了，请尽快给我换一个。\n王芳\n"))
        drop(tmp_path / "var/mail/shop/inbox", "b.eml", mails.complaint(
            sender="Li Lei <li@customer.example>", subject="投诉", body="AB-12345678\n"))

        def cases() -> list[dict[str, object]]:
            out = complaints("cases", "list", "--json", cwd=tmp_path, env=env)
            return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else []

        def both_acknowledged() -> bool:
            rows = cases()
            return len(rows) == 2 and all(r["acknowledgment"] == "sent" for r in rows)

        wait_until(both_acknowledged, 150, "both complaints acknowledged", interval=0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "[default] mail folder" in output and "[shop] mail folder" in output

    by_customer = {r["customer_email"]: r for r in cases()}
    assert by_customer["wang@customer.example"]["mailbox"] == "default"
    assert by_customer["li@customer.example"]["mailbox"] == "shop"
    assert by_customer["li@customer.example"]["language"] == "en"  # too short: the mailbox's
    sent = [message_from_bytes(p.read_bytes(), policy=default_policy)
            for p in (tmp_path / "var/mail/outbox").glob("*.eml")]
    senders = {str(m["To"]).split("<")[-1].rstrip(">"): str(m["From"]) for m in sent}
    assert senders["wang@customer.example"].endswith("<complaints@brand-a.example>")
    assert senders["li@customer.example"] == "Brand B Shop <shop@brand-b.example>"
