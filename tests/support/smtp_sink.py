"""A real SMTP server (aiosmtpd) that keeps what it accepts, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collector:
    def __init__(self, delay: float) -> None:
        self.lock = threading.Lock()
        self.delay = delay
        self.messages: list[tuple[float, list[str], bytes]] = []
        self.senders: list[str] = []  # the envelope sender (MAIL FROM) of each message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:  # a slow server: the mail is kept, and 250 sent, only after the pause
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append((time.monotonic(), list(envelope.rcpt_tos), envelope.content))
            self.senders.append(str(envelope.mail_from))
        return "250 OK"


class SmtpSink:
    """Start with ``with SmtpSink() as sink:``; ``sink.port`` is where to send.

    ``delay`` seconds pass between the end of DATA and the 250 (a slow server).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self._collector = _Collector(delay)
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[tuple[float, list[str], bytes]]:
        with self._collector.lock:
            return list(self._collector.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str], bytes]]:
        """(MAIL FROM, RCPT TOs, content) of every message, in arrival order."""
        with self._collector.lock:
            return [(sender, rcpts, raw) for sender, (_, rcpts, raw)
                    in zip(self._collector.senders, self._collector.messages, strict=True)]

    def message_ids(self) -> Counter[str]:
        parser = BytesHeaderParser(policy=compat32)
        return Counter(str(parser.parsebytes(raw)["Message-ID"]) for _, _, raw in self.messages)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return True
            time.sleep(0.05)
        return False
