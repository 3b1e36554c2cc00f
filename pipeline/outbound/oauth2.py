"""OAuth2 access tokens for XOAUTH2 (Gmail, Microsoft 365 mailboxes).

Both providers are turning password logins off for IMAP and SMTP. We hold a
long-lived refresh token and trade it for short-lived access tokens, refreshed a
minute before they expire. Secrets never appear in logs, errors or ``repr``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

HttpPost = Callable[[str, dict[str, str]], dict[str, Any]]
REFRESH_MARGIN = 60.0


class TokenError(Exception):
    """The token endpoint refused or could not be reached (message holds no secrets)."""


def _urllib_post(url: str, form: dict[str, str]) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode("ascii")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read().decode("utf-8")))
    except urllib.error.HTTPError as err:
        detail = _error_code(err.read())
        raise TokenError(f"token endpoint answered HTTP {err.code} ({detail})") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise TokenError(f"token endpoint unreachable: {type(err).__name__}") from None


def _error_code(body: bytes) -> str:
    try:
        return str(json.loads(body.decode("utf-8")).get("error", "no error code"))
    except (ValueError, AttributeError):
        return "no error code"


class TokenProvider:
    """Hands out a cached access token, refreshing it with the refresh-token grant."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        scope: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
        http_post: HttpPost = _urllib_post,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.scope = scope
        self._clock = clock
        self._post = http_post
        self._lock = threading.Lock()
        self._access: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"TokenProvider(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def token(self) -> str:
        with self._lock:
            if self._access is None or self._clock() >= self._expires_at - REFRESH_MARGIN:
                self._refresh()
            assert self._access is not None
            return self._access

    def invalidate(self) -> None:
        """Forget the access token, e.g. after the server rejected it."""
        with self._lock:
            self._access = None

    def _refresh(self) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.scope:
            form["scope"] = self.scope
        answer = self._post(self.token_url, form)
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenError("token endpoint gave no access_token")
        self._access = access
        self._expires_at = self._clock() + float(answer.get("expires_in", 3600))
        rotated = answer.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (before base64), for IMAP and SMTP."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"
