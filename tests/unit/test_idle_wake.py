"""IDLE news that arrives in the same packet as the server's ``+ idling``.

Dovecot cannot be made to deliver a mail at the exact instant IDLE begins (tried:
7 in 200 attempts landed there), so these tests talk to a scripted server over a
real TCP connection, plain and TLS: it writes the continuation and the news in one
``sendall``, as Dovecot does when a mail arrives as IDLE begins.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.support.services import unavailable
from workers.imap_poller import _idle_woke


@pytest.fixture(params=["plain", "tls"])
def server_tls(request: pytest.FixtureRequest, tmp_path: Path) -> ssl.SSLContext | None:
    """None for plain TCP; else a server context with a throw-away self-signed key."""
    if request.param == "plain":
        return None
    if shutil.which("openssl") is None:
        unavailable("openssl (to make a test certificate)")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def scripted_server(idle_answer: bytes, tls: ssl.SSLContext | None) -> Iterator[int]:
    """A one-connection IMAP server that answers IDLE with ``idle_answer``."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        raw, _ = listener.accept()
        conn = tls.wrap_socket(raw, server_side=True) if tls else raw
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
            while line := lines.readline():
                tag, command = line.split(b" ", 2)[:2]
                if command.strip().upper() == b"IDLE":
                    conn.sendall(idle_answer)
                    lines.readline()  # DONE
                conn.sendall(tag + b" OK done\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def idle_client(port: int, tls: ssl.SSLContext | None) -> IMAPClient:
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the scripted server's throw-away key
    client = IMAPClient("127.0.0.1", port=port, ssl=tls is not None, ssl_context=context,
                        timeout=30)
    client.idle()
    return client


def test_news_sent_with_the_idle_continuation_wakes_the_poller_at_once(
    server_tls: ssl.SSLContext | None,
) -> None:
    """GIVEN a server that sends '* 2 EXISTS' in the same packet as '+ idling'
    WHEN the poller waits for news THEN it wakes at once instead of waiting out the
    slice (in service: imap_idle_seconds, 9 minutes), and DONE hands back the news."""
    with scripted_server(b"+ idling\r\n* 2 EXISTS\r\n", server_tls) as port:
        client = idle_client(port, server_tls)
        began = time.monotonic()
        assert _idle_woke(client, 5.0)
        assert time.monotonic() - began < 1.0
        assert client.socket().gettimeout() == 30  # the socket's timeout is restored
        _text, news = client.idle_done()
        assert (2, b"EXISTS") in news


def test_silence_after_the_continuation_is_waited_out(
    server_tls: ssl.SSLContext | None,
) -> None:
    """GIVEN a server that says nothing after '+ idling' WHEN the poller waits
    THEN it waits the whole slice and reports no news."""
    with scripted_server(b"+ idling\r\n", server_tls) as port:
        client = idle_client(port, server_tls)
        began = time.monotonic()
        assert not _idle_woke(client, 0.5)
        assert time.monotonic() - began >= 0.5
        assert client.socket().gettimeout() == 30
        client.idle_done()
