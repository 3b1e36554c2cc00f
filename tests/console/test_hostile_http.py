"""The console as an attacker reaches it: password guessing, huge bodies, idle sessions.

The body tests run a real uvicorn server in this process and watch this process's
resident memory while a raw socket streams a chunked 150 MB body at it.
"""

from __future__ import annotations

import contextlib
import gc
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from config.settings import Settings
from console.server import make_server, start_in_thread
from pipeline.db.base import utcnow
from pipeline.db.models import StaffSession
from tests.console.conftest import ConsoleWorld
from tests.support.console import PASSWORD, add_staff, csrf_token, sign_in
from tests.support.smtp_sink import free_port
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

MB = 1024 * 1024


def _try(client: TestClient, username: str, password: str) -> httpx.Response:
    form = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(form.text), "next": ""},
                       follow_redirects=False)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def _client_with_clock(world: ConsoleWorld) -> tuple[TestClient, Clock]:
    client = world.client()
    clock = Clock()
    client.app.state.clock = clock  # type: ignore[attr-defined]
    return client, clock


def test_six_wrong_passwords_then_the_right_one_waits_until_the_wait_passes(
        world: ConsoleWorld) -> None:
    client, clock = _client_with_clock(world)
    answers = [_try(client, "ivy", f"guess {n}").status_code for n in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]
    right = _try(client, "ivy", PASSWORD)
    assert right.status_code == 429 and int(right.headers["retry-after"]) == 60
    assert "Wait 60 seconds" in right.text or "60 秒" in right.text

    clock.now += timedelta(seconds=30)
    still = _try(client, "ivy", PASSWORD)
    assert still.status_code == 429 and int(still.headers["retry-after"]) == 30

    clock.now += timedelta(seconds=31)
    again = _try(client, "ivy", "one more guess")  # a failure after a wait doubles the next
    assert again.status_code == 429 and int(again.headers["retry-after"]) == 120
    clock.now += timedelta(seconds=121)
    assert _try(client, "ivy", PASSWORD).status_code == 303  # signed in; the record is cleared
    assert _try(client, "ivy", "typo").status_code == 401


def test_twenty_failures_from_one_address_close_it_for_every_name(world: ConsoleWorld) -> None:
    client, clock = _client_with_clock(world)
    answers = [_try(client, f"name{n}", "guess").status_code for n in range(20)]
    assert answers[:19] == [401] * 19 and answers[19] == 429
    assert _try(client, "ada", PASSWORD).status_code == 429  # a real account, same address
    clock.now += timedelta(seconds=61)
    assert _try(client, "ada", PASSWORD).status_code == 303


def test_a_session_ends_after_the_idle_limit(world: ConsoleWorld) -> None:
    client = world.client()
    sign_in(client, "ivy")
    assert client.get("/queue", follow_redirects=False).status_code == 200
    with world.runtime.factory() as session, session.begin():
        session.execute(update(StaffSession).values(
            last_seen_at=utcnow() - timedelta(minutes=61)))
    gone = client.get("/queue", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


# A real server ---------------------------------------------------------------------


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, Runtime]]:
    """A real console on SQLite and on PostgreSQL (SQLite's one connection serialises
    sign-ins by itself; PostgreSQL's pool lets them run in parallel)."""
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}",
                                           "web_port": port})
    runtime = build_runtime(settings)
    add_staff(runtime.factory, "ivy", "intake")
    server = make_server(settings, factory=runtime.factory,
                         make_transport=runtime.make_transport)
    thread = start_in_thread(server)
    wait_until(lambda: server.started, 20, "the console server to start")
    yield f"http://127.0.0.1:{port}", runtime
    server.should_exit = True
    thread.join(timeout=10)
    runtime.engine.dispose()


# The server runs in this process, beside whatever earlier tests left running, so its
# memory moves by some MB on its own; reading a 150 MB body would add over 150 MB.
MEMORY_NOISE = 50 * MB


def _rss() -> int:
    gc.collect()
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found
    return int(found.group(1)) * 1024


def _chunked_post(base: str, path: str, total: int, cookie: str = "") -> tuple[int, int]:
    """Stream ``total`` bytes as a chunked form body; (status, bytes the server let us send)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Transfer-Encoding: chunked\r\n{cookie}\r\n")
    sock.sendall(head.encode())
    chunk = b"f=" + b"a" * (256 * 1024 - 3) + b"&"  # fields under Starlette's 1 MB cap
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0

    def pump() -> None:
        nonlocal sent
        try:
            while sent < total:
                sock.sendall(frame)
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: it will not read the rest

    writer = threading.Thread(target=pump, daemon=True)
    writer.start()
    reply = b""
    while b"\r\n" not in reply:
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    with contextlib.suppress(OSError):  # the server may have closed its side already
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    writer.join(timeout=30)
    return int(reply.split(b" ")[1]), sent


def test_a_chunked_150_mb_post_to_logout_without_a_session_is_never_read(
        served: tuple[str, Runtime]) -> None:
    base, _ = served
    before = _rss()
    status, sent = _chunked_post(base, "/logout", 150 * MB)
    assert status in (403, 413)
    assert _rss() - before < MEMORY_NOISE
    assert sent < 150 * MB  # the server stopped taking it long before the end


def test_a_chunked_150_mb_form_from_a_signed_in_user_is_cut_at_the_limit(
        served: tuple[str, Runtime]) -> None:
    base, _ = served
    with httpx.Client(base_url=base) as client:
        sign_in(client, "ivy")
        cookie = f"Cookie: console_session={client.cookies['console_session']}\r\n"
    before = _rss()
    status, sent = _chunked_post(base, "/language", 150 * MB, cookie)
    assert status == 413
    assert _rss() - before < MEMORY_NOISE
    assert sent < 150 * MB


def test_a_declared_length_over_the_limit_is_refused_before_reading(
        served: tuple[str, Runtime]) -> None:
    base, _ = served
    response = httpx.post(f"{base}/login", content=b"x" * (3 * MB))
    assert response.status_code == 413


# Deeply nested HTML ------------------------------------------------------------------


def test_a_mail_of_100000_nested_divs_is_taken_in_and_its_case_page_is_fast(
        world: ConsoleWorld) -> None:
    from sqlalchemy import select

    from pipeline.db.models import Case, InboundMail
    from tests.support import mails
    from workers.inline import ingest_bytes

    nested = ("<p>My kettle leaks, please replace it. Mallory</p>"
              + "<div>" * 100_000 + "deep" + "</div>" * 100_000)
    started = time.perf_counter()
    result = ingest_bytes(world.runtime, mails.complaint(
        sender="Mallory <mallory@attacker.example>", subject="Deep", body=nested, html=True),
        name="deep.eml")
    intake_seconds = time.perf_counter() - started
    assert result.outcome is not None and result.outcome.case_id is not None
    with world.runtime.factory() as session:
        case = session.get(Case, result.outcome.case_id)
        inbound = session.scalars(select(InboundMail).where(
            InboundMail.case_id == result.outcome.case_id)).one()
        assert case is not None and inbound.safe_html is not None  # sanitised once, at intake
        assert inbound.safe_html.count("<div>") <= 100
    assert intake_seconds < 10

    client = world.client()
    sign_in(client, "ivy")
    # CPU time of this process (the app runs in a thread of it): what rendering costs,
    # whatever else the busy test machine is doing; the wall clock only has to be sane.
    started, cpu = time.perf_counter(), time.process_time()
    page = client.get(f"/cases/{case.reference}")
    frame = client.get(f"/cases/{case.reference}/original/{inbound.id}")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert page.status_code == 200 and frame.status_code == 200
    assert "Mallory" in frame.text
    assert cpu < 1.0, f"case page and frame took {cpu:.2f}s of CPU"
    assert elapsed < 5.0, f"case page and frame took {elapsed:.2f}s"


def test_a_held_scan_is_shown_with_its_reason_and_released_by_staff(world: ConsoleWorld) -> None:
    from pipeline.db.models import LetterScan

    with world.runtime.factory() as session, session.begin():
        scan = LetterScan(sha256="f" * 64, source="mail #99", files=[],
                          from_address="mallory@attacker.example", status="held", pages=30,
                          quarantine_reason="Held: <b>over the daily budget</b>")
        session.add(scan)
        session.flush()
        scan_id = scan.id
    client = world.client()
    token = sign_in(client, "ivy")
    page = client.get("/quarantine")
    assert "mallory@attacker.example" in page.text
    assert "Held: &lt;b&gt;over the daily budget&lt;/b&gt;" in page.text  # escaped
    assert f'action="/scans/{scan_id}/release"' in page.text
    done = client.post(f"/scans/{scan_id}/release", data={"csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303
    with world.runtime.factory() as session:
        released = session.get(LetterScan, scan_id)
        assert released is not None and (released.status, released.released_by) == (
            "received", "ivy")
    assert client.post(f"/scans/{scan_id}/release",
                       data={"csrf_token": token}).status_code == 404  # not held any more
    handler = world.client()
    assert handler.post(f"/scans/{scan_id}/release", data={
        "csrf_token": sign_in(handler, "quinn")}).status_code == 403


def test_forty_parallel_sign_ins_do_not_run_forty_argon2_checks_at_once(
        served: tuple[str, Runtime], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each argon2 check takes 64 MiB: at most two run at a time, whatever the flood.

    The real argon2 runs; a counter around it records how many ran at once.
    """
    from pipeline.staff import users

    base, _ = served
    running, most, lock = 0, 0, threading.Lock()
    real = users._hasher

    class Counted:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, hashed: str, password: str) -> bool:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                return real.verify(hashed, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(users, "_hasher", Counted())

    def attempt(n: int, answers: list[int]) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            form = client.get("/login")
            answers.append(client.post("/login", data={
                "username": f"ivy{n}", "password": "guess", "next": "",
                "csrf_token": csrf_token(form.text)}).status_code)

    answers: list[int] = []
    threads = [threading.Thread(target=attempt, args=(n, answers)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 40 and set(answers) <= {401, 429, 503}
    assert answers.count(401) > 0
    assert 1 <= most <= 2, f"{most} argon2 checks ran at once"


def test_mail_taken_in_before_safe_html_was_kept_is_sanitised_once_when_shown(
        world: ConsoleWorld) -> None:
    from sqlalchemy import select

    from pipeline.db.models import Case, InboundMail

    with world.runtime.factory() as session, session.begin():
        case = session.scalar(select(Case).where(Case.reference == "CP-2026-000002"))
        assert case is not None
        inbound = session.scalars(select(InboundMail).where(
            InboundMail.case_id == case.id)).one()
        inbound.safe_html = None  # as the migration leaves older mail
        inbound_id = inbound.id
    client = world.client()
    sign_in(client, "ivy")
    frame = client.get(f"/cases/CP-2026-000002/original/{inbound_id}")
    assert frame.status_code == 200 and "crushed" in frame.text and "<script" not in frame.text
    with world.runtime.factory() as session:
        kept = session.get(InboundMail, inbound_id)
        assert kept is not None and kept.safe_html and "<script" not in kept.safe_html
    assert client.get(f"/cases/CP-2026-000001/original/{inbound_id}").status_code == 404
