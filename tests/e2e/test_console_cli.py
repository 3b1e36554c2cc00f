"""The console from the command line: accounts, and the demo's printed first login."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support.console import csrf_token
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


def test_users_add_and_list(tmp_path: Path) -> None:
    env = clean_env()
    added = subprocess.run(
        [sys.executable, "-m", "workers", "users", "add", "mei", "--role", "handler",
         "--department", "logistics", "--language", "zh", "--password-stdin"],
        cwd=tmp_path, env=env, input="a long enough secret\n", capture_output=True, text=True,
        timeout=120, check=False)
    assert added.returncode == 0, added.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "workers", "users", "add", "bob", "--role", "handler",
         "--password-stdin"],
        cwd=tmp_path, env=env, input="a long enough secret\n", capture_output=True, text=True,
        timeout=120, check=False)
    assert refused.returncode == 2 and "needs a department" in refused.stderr
    listed = complaints("users", "list", cwd=tmp_path, env=env)
    assert re.search(r"^mei\s+handler\s+logistics\s+zh\s+active", listed.stdout, re.M)
    assert "a long enough secret" not in listed.stdout


def test_demo_prints_the_console_address_and_a_first_login_that_works(tmp_path: Path) -> None:
    env = clean_env()
    proc = subprocess.Popen([sys.executable, "-m", "workers", "demo"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")),
                              daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait_until(lambda: any("First login" in line for line in lines), 60,
                   "the demo's first-login line")
        text = "".join(lines)
        address = re.search(r"Staff console: (http://\S+/)", text)
        password = re.search(r"user 'admin', password '([^']+)'", text)
        assert address and password, text
        with httpx.Client(base_url=address.group(1).rstrip("/")) as client:
            form = client.get("/login")
            response = client.post("/login", data={
                "username": "admin", "password": password.group(1),
                "csrf_token": csrf_token(form.text), "next": ""})
            assert response.status_code == 303 and response.headers["location"] == "/queue"
            assert client.get("/users").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
