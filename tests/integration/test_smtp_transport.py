"""SmtpTransport against a real SMTP server (aiosmtpd on 127.0.0.1), no mocks."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from letters.compose import build_message, make_message_id
from pipeline.outbound.oauth2 import TokenProvider
from pipeline.outbound.smtp import SmtpTransport
from pipeline.outbound.transport import PermanentSendError, TransientSendError
from tests.support.smtp_sink import free_port

SENDER = "complaints@shop.example"
CUSTOMER = "jane@customer.example"
PASSWORD = "pa55-w0rd-secret"

# The test servers take AUTH without TLS (aiosmtpd warns): credentials here are fake.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The server side: what arrived, over which connections, and scripted refusals."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: list[Any] = []  # session.peer: (host, port) per connection
        self.delivered: list[tuple[Any, list[str], Any]] = []
        self.noops = 0
        self.oauth_seen: list[str] = []
        self.good_tokens: set[str] = set()
        self.data_reply = "250 OK"

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # a new-style EHLO hook must record the greeting itself
        with self.lock:
            self.connections.append(session.peer)
        return responses

    async def handle_NOOP(
        self, server: SMTP, session: Session, envelope: Envelope, arg: str
    ) -> str:
        with self.lock:
            self.noops += 1
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        if address.startswith("later"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            with self.lock:
                self.delivered.append((session.peer, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 as Gmail/Microsoft do it: a bad token gets a 334 JSON error, then 535."""
        blob = base64.b64decode(args[1]) if len(args) == 2 else b""
        fields = dict(f.split("=", 1) for f in blob.decode().split("\x01") if "=" in f)
        token = fields.get("auth", "").removeprefix("Bearer ")
        with self.lock:
            self.oauth_seen.append(f"{fields.get('user')}:{token}")
        if token in self.good_tokens:
            return AuthResult(success=True, auth_data=fields.get("user"))
        error = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        await server.challenge_auth(json.dumps(error))
        return AuthResult(success=False, handled=False)  # handled=False: aiosmtpd answers 535

    def peers(self) -> set[Any]:
        with self.lock:
            return {peer for peer, _, _ in self.delivered}


def check_password(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class Server:
    """A real aiosmtpd server that the test can stop and start again on the same port."""

    def __init__(self, **options: Any) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def auth_server() -> Iterator[Server]:
    srv = Server(authenticator=check_password, auth_required=True, auth_require_tls=False)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def oauth_server() -> Iterator[Server]:
    srv = Server(auth_required=True, auth_require_tls=False)
    srv.recorder.good_tokens.add("good-token")
    srv.start()
    yield srv
    srv.stop()


def transport(server: Server, **options: Any) -> SmtpTransport:
    options.setdefault("starttls", False)
    options.setdefault("timeout", 5.0)
    return SmtpTransport("127.0.0.1", server.port, local_hostname="worker.test", **options)


def mail(to: str = CUSTOMER) -> bytes:
    return build_message(
        from_name="Customer Service",
        from_address=SENDER,
        to_name="",
        to_address=to,
        subject="[CP-2026-000001] We have received your complaint",
        text="Thank you.\n",
        html=None,
        message_id=make_message_id("shop.example"),
    )


def scripted_tokens(*tokens: str) -> TokenProvider:
    """The real provider, with its HTTP seam answering from a script."""
    answers = iter({"access_token": t, "expires_in": 3600} for t in tokens)
    return TokenProvider(
        "http://127.0.0.1/token",
        "id",
        "secret",
        "refresh",
        http_post=lambda url, form: next(answers),
    )


def test_several_sends_reuse_one_connection(server: Server) -> None:
    smtp = transport(server)

    for _ in range(3):
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert len(server.recorder.delivered) == 3
    assert len(server.recorder.connections) == 1
    assert len(server.recorder.peers()) == 1


def test_delivered_bytes_are_the_mail_as_built(server: Server) -> None:
    raw = mail()
    smtp = transport(server)

    smtp.send(raw, sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    [(_, rcpts, content)] = server.recorder.delivered
    headers = BytesHeaderParser().parsebytes(content)
    assert rcpts == [CUSTOMER]
    assert headers["Message-ID"] == BytesHeaderParser().parsebytes(raw)["Message-ID"]


def test_server_restart_between_sends_reconnects_and_delivers(server: Server) -> None:
    """GIVEN a kept connection WHEN the server restarts THEN the next send reconnects once."""
    smtp = transport(server)
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    server.restart()
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert len(server.recorder.delivered) == 2
    assert len(server.recorder.peers()) == 2


def test_idle_connection_is_checked_with_noop_and_kept(server: Server) -> None:
    clock = Clock()
    smtp = transport(server, clock=clock)
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    clock.now += 31
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert server.recorder.noops == 1
    assert len(server.recorder.connections) == 1


def test_recently_used_connection_is_not_checked(server: Server) -> None:
    clock = Clock()
    smtp = transport(server, clock=clock)
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    clock.now += 29
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert server.recorder.noops == 0


def test_idle_connection_dropped_by_server_is_replaced(server: Server) -> None:
    clock = Clock()
    smtp = transport(server, clock=clock)
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    server.restart()

    clock.now += 31
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert len(server.recorder.delivered) == 2
    assert len(server.recorder.connections) == 2


def test_recipient_refused_with_550_is_permanent(server: Server) -> None:
    smtp = transport(server)

    with pytest.raises(PermanentSendError, match="550"):
        smtp.send(
            mail("reject@customer.example"), sender=SENDER, recipients=["reject@customer.example"]
        )
    smtp.close()

    assert server.recorder.delivered == []


def test_recipient_deferred_with_451_is_transient(server: Server) -> None:
    smtp = transport(server)

    with pytest.raises(TransientSendError, match="451"):
        smtp.send(
            mail("later@customer.example"), sender=SENDER, recipients=["later@customer.example"]
        )
    smtp.close()

    assert server.recorder.delivered == []


def test_connection_is_reused_after_a_refused_recipient(server: Server) -> None:
    smtp = transport(server)
    with pytest.raises(PermanentSendError):
        smtp.send(mail(), sender=SENDER, recipients=["reject@customer.example"])

    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert len(server.recorder.delivered) == 1
    assert len(server.recorder.connections) == 1


def test_partly_refused_recipients_still_count_as_sent(server: Server) -> None:
    smtp = transport(server)

    smtp.send(mail(), sender=SENDER, recipients=["reject@customer.example", CUSTOMER])
    smtp.close()

    assert [rcpts for _, rcpts, _ in server.recorder.delivered] == [[CUSTOMER]]


def test_message_refused_after_data_with_554_is_permanent(server: Server) -> None:
    server.recorder.data_reply = "554 5.7.1 Message rejected as spam"
    smtp = transport(server)

    with pytest.raises(PermanentSendError, match="554"):
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()


def test_connection_refused_is_transient() -> None:
    smtp = SmtpTransport("127.0.0.1", free_port(), starttls=False, timeout=5.0)

    with pytest.raises(TransientSendError, match="cannot connect") as caught:
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_server_that_never_greets_times_out_as_transient() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        smtp = SmtpTransport("127.0.0.1", listener.getsockname()[1], starttls=False, timeout=0.3)

        with pytest.raises(TransientSendError):
            smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])


def test_starttls_not_offered_is_an_error_not_a_silent_downgrade(server: Server) -> None:
    smtp = transport(server, starttls=True)

    with pytest.raises(TransientSendError, match="SMTPNotSupportedError"):
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    assert server.recorder.delivered == []


@pytest.mark.parametrize(
    "recipients", [[], ["jane@customer.example\r\nRCPT TO:<x@y>"], ["张@x.cn"]]
)
def test_unusable_envelope_is_permanent_before_connecting(
    server: Server, recipients: list[str]
) -> None:
    smtp = transport(server)

    with pytest.raises(PermanentSendError):
        smtp.send(mail(), sender=SENDER, recipients=recipients)

    assert server.recorder.connections == []


def test_internationalised_recipient_domain_goes_out_as_punycode(server: Server) -> None:
    smtp = transport(server)

    smtp.send(mail("kunde@bücher.example"), sender=SENDER, recipients=["kunde@bücher.example"])
    smtp.close()

    assert [rcpts for _, rcpts, _ in server.recorder.delivered] == [["kunde@xn--bcher-kva.example"]]


def test_password_login_delivers(auth_server: Server) -> None:
    smtp = transport(auth_server, user="complaints", password=PASSWORD)

    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert len(auth_server.recorder.delivered) == 2
    assert len(auth_server.recorder.connections) == 1


def test_wrong_password_is_transient_and_never_shows_the_password(auth_server: Server) -> None:
    smtp = transport(auth_server, user="complaints", password="wrong-" + PASSWORD)

    with pytest.raises(TransientSendError, match="535") as caught:
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    assert PASSWORD not in str(caught.value)
    assert auth_server.recorder.delivered == []


def test_missing_login_on_a_server_requiring_it_is_permanent(auth_server: Server) -> None:
    smtp = transport(auth_server)

    with pytest.raises(PermanentSendError, match="530"):
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])


def test_xoauth2_login_delivers(oauth_server: Server) -> None:
    smtp = transport(
        oauth_server, user="box@shop.example", token_provider=scripted_tokens("good-token")
    )

    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert oauth_server.recorder.oauth_seen == ["box@shop.example:good-token"]
    assert len(oauth_server.recorder.delivered) == 1


def test_xoauth2_rejected_token_is_refreshed_and_retried_once(oauth_server: Server) -> None:
    """GIVEN a token the server rejects (334 JSON error, then 535) THEN a fresh one is used."""
    tokens = scripted_tokens("expired-token", "good-token")
    smtp = transport(oauth_server, user="box@shop.example", token_provider=tokens)

    smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])
    smtp.close()

    assert oauth_server.recorder.oauth_seen == [
        "box@shop.example:expired-token",
        "box@shop.example:good-token",
    ]
    assert len(oauth_server.recorder.delivered) == 1


def test_xoauth2_rejected_twice_is_transient(oauth_server: Server) -> None:
    tokens = scripted_tokens("bad-1", "bad-2")
    smtp = transport(oauth_server, user="box@shop.example", token_provider=tokens)

    with pytest.raises(TransientSendError, match="535") as caught:
        smtp.send(mail(), sender=SENDER, recipients=[CUSTOMER])

    assert "bad-2" not in str(caught.value)
    assert len(oauth_server.recorder.oauth_seen) == 2
    assert oauth_server.recorder.delivered == []


def test_repr_never_shows_the_password() -> None:
    smtp = SmtpTransport("smtp.example.com", 587, user="complaints", password=PASSWORD)

    assert PASSWORD not in repr(smtp)
    assert "smtp.example.com" in repr(smtp)
