"""OAuth2 tokens for XOAUTH2, fetched from a real local HTTP server playing the provider."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pipeline.outbound.oauth2 import TokenError, TokenProvider, xoauth2_string
from tests.support.smtp_sink import free_port

SECRET = "client-secret-s3cr3t"
REFRESH = "refresh-token-r3fr3sh"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TokenEndpoint(ThreadingHTTPServer):
    """The provider's token endpoint: records each request, answers from a script."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int, object]] = []
        self.gate: threading.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/oauth2/token"

    def answer(self, status: int, body: object) -> None:
        with self.lock:
            self.answers.append((status, body))

    def grant(self, access: str, expires_in: object = 3600, **extra: object) -> None:
        self.answer(
            200, {"access_token": access, "token_type": "Bearer", "expires_in": expires_in, **extra}
        )


class _Handler(BaseHTTPRequestHandler):
    server: TokenEndpoint

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
        if self.server.gate is not None:
            self.server.gate.wait(timeout=5)
        with self.server.lock:
            self.server.requests.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "form": dict(urllib.parse.parse_qsl(body)),
                }
            )
            status, answer = self.server.answers.pop(0) if self.server.answers else (500, {})
        payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    server = TokenEndpoint()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def provider(endpoint: TokenEndpoint, clock: Clock, scope: str = "") -> TokenProvider:
    return TokenProvider(endpoint.url, "client-id-1", SECRET, REFRESH, scope, clock=clock)


def test_first_call_fetches_a_token_with_the_refresh_token_grant(
    endpoint: TokenEndpoint, clock: Clock
) -> None:
    endpoint.grant("access-1")

    token = provider(endpoint, clock, scope="https://outlook.office.com/SMTP.Send").token()

    assert token == "access-1"
    [request] = endpoint.requests
    assert request["path"] == "/oauth2/token"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "client-id-1",
        "client_secret": SECRET,
        "scope": "https://outlook.office.com/SMTP.Send",
    }


def test_token_is_cached_until_a_minute_before_expiry(
    endpoint: TokenEndpoint, clock: Clock
) -> None:
    endpoint.grant("access-1", expires_in=3600)
    tokens = provider(endpoint, clock)
    tokens.token()

    clock.now += 3600 - 61
    token = tokens.token()

    assert token == "access-1"
    assert len(endpoint.requests) == 1


def test_token_is_refreshed_within_a_minute_of_expiry(
    endpoint: TokenEndpoint, clock: Clock
) -> None:
    endpoint.grant("access-1", expires_in=3600)
    endpoint.grant("access-2", expires_in=3600)
    tokens = provider(endpoint, clock)
    tokens.token()

    clock.now += 3600 - 59
    token = tokens.token()

    assert token == "access-2"
    assert len(endpoint.requests) == 2


def test_expires_in_as_a_string_is_understood(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.grant("access-1", expires_in="120")
    endpoint.grant("access-2")
    tokens = provider(endpoint, clock)
    tokens.token()

    clock.now += 61

    assert tokens.token() == "access-2"


def test_rotated_refresh_token_replaces_the_old_one(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.grant("access-1", expires_in=100, refresh_token="refresh-token-2")
    endpoint.grant("access-2")
    tokens = provider(endpoint, clock)
    tokens.token()

    clock.now += 100
    tokens.token()

    assert [r["form"]["refresh_token"] for r in endpoint.requests] == [REFRESH, "refresh-token-2"]


def test_invalidate_forces_a_new_token(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.grant("access-1")
    endpoint.grant("access-2")
    tokens = provider(endpoint, clock)
    first = tokens.token()

    tokens.invalidate(first)

    assert tokens.token() == "access-2"


def test_invalidating_an_older_token_keeps_the_newer_one(
    endpoint: TokenEndpoint, clock: Clock
) -> None:
    """GIVEN another user already replaced a rejected token THEN its late invalidate is ignored."""
    endpoint.grant("access-1")
    endpoint.grant("access-2")
    tokens = provider(endpoint, clock)
    tokens.token()
    tokens.invalidate()
    tokens.token()

    tokens.invalidate("access-1")

    assert tokens.token() == "access-2"
    assert len(endpoint.requests) == 2


def test_error_answer_raises_token_error_without_secrets(
    endpoint: TokenEndpoint, clock: Clock
) -> None:
    """GIVEN the provider refuses and echoes the refresh token THEN no secret reaches the error."""
    endpoint.answer(
        400,
        {"error": "invalid_grant", "error_description": f"AADSTS70000: {REFRESH} is expired"},
    )

    with pytest.raises(TokenError) as caught:
        provider(endpoint, clock).token()

    message = str(caught.value)
    assert "HTTP 400" in message and "invalid_grant" in message
    assert SECRET not in message and REFRESH not in message
    assert caught.value.__cause__ is None


def test_error_code_that_is_not_a_code_is_not_echoed(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.answer(401, {"error": f"bad secret {SECRET}"})

    with pytest.raises(TokenError) as caught:
        provider(endpoint, clock).token()

    assert SECRET not in str(caught.value)
    assert "no error code" in str(caught.value)


def test_answer_without_access_token_raises(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.answer(200, {"token_type": "Bearer"})

    with pytest.raises(TokenError, match="no access token"):
        provider(endpoint, clock).token()


def test_answer_that_is_not_json_raises(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.answer(200, b"<html>proxy login</html>")

    with pytest.raises(TokenError, match="not JSON"):
        provider(endpoint, clock).token()


def test_unreachable_endpoint_raises_token_error(clock: Clock) -> None:
    url = f"http://127.0.0.1:{free_port()}/token"

    with pytest.raises(TokenError, match="unreachable"):
        TokenProvider(url, "id", SECRET, REFRESH, clock=clock).token()


def test_failed_refresh_is_retried_on_the_next_call(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.answer(503, {"error": "temporarily_unavailable"})
    endpoint.grant("access-1")
    tokens = provider(endpoint, clock)
    with pytest.raises(TokenError):
        tokens.token()

    assert tokens.token() == "access-1"


def test_concurrent_callers_share_one_refresh(endpoint: TokenEndpoint, clock: Clock) -> None:
    """GIVEN eight threads asking at once THEN the endpoint sees one request, all get its token."""
    endpoint.grant("access-1")
    endpoint.gate = threading.Event()
    tokens = provider(endpoint, clock)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(tokens.token())) for _ in range(8)]
    for thread in threads:
        thread.start()

    endpoint.gate.set()
    for thread in threads:
        thread.join(timeout=10)

    assert results == ["access-1"] * 8
    assert len(endpoint.requests) == 1


def test_repr_hides_secrets(endpoint: TokenEndpoint, clock: Clock) -> None:
    endpoint.grant("access-secret-token")
    tokens = provider(endpoint, clock)
    tokens.token()

    text = repr(tokens)

    assert SECRET not in text and REFRESH not in text and "access-secret-token" not in text
    assert "client-id-1" in text


@pytest.mark.parametrize(
    "url", ["http://login.example.com/token", "file:///etc/passwd", "ftp://x/token", "token"]
)
def test_token_url_must_be_https_except_on_localhost(url: str) -> None:
    with pytest.raises(ValueError):
        TokenProvider(url, "id", SECRET, REFRESH)


def test_https_token_url_is_accepted() -> None:
    tokens = TokenProvider("https://login.microsoftonline.com/t/oauth2/v2.0/token", "id", "s", "r")

    assert tokens.token_url.startswith("https://")


def test_xoauth2_string_is_the_sasl_initial_response() -> None:
    assert xoauth2_string("box@shop.example", "ya29.abc") == (
        "user=box@shop.example\x01auth=Bearer ya29.abc\x01\x01"
    )
