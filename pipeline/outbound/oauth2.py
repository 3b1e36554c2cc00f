"""OAuth2 access tokens for XOAUTH2 (Gmail, Microsoft 365 mailboxes).

Both providers are turning password logins off for IMAP and SMTP. We hold a
long-lived refresh token and trade it for short-lived access tokens, refreshed a
minute before they expire. Secrets never appear in logs, errors or ``repr``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

HttpPost = Callable[[str, Mapping[str, str]], object]
"""POST a form to a URL and return the decoded JSON answer; raise TokenError on failure."""

REFRESH_MARGIN = 60.0
HTTP_TIMEOUT = 30.0
DEFAULT_EXPIRES_IN = 3600.0
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class TokenError(Exception):
    """The token endpoint refused or could not be reached (the message holds no secrets)."""


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response before base64, for IMAP and SMTP alike."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def urllib_post(url: str, form: Mapping[str, str]) -> object:
    """POST ``form`` as application/x-www-form-urlencoded and decode the JSON answer."""
    data = urllib.parse.urlencode(form).encode("ascii")
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        code = error_code(_json_or_none(err.read()))
        raise TokenError(f"token endpoint answered HTTP {err.code} ({code})") from None
    except (urllib.error.URLError, OSError) as err:
        raise TokenError(f"token endpoint unreachable ({type(err).__name__})") from None
    except ValueError:
        raise TokenError("token endpoint answered with something that is not JSON") from None


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return None


def error_code(answer: object) -> str:
    """The OAuth2 ``error`` code of an answer, only if it looks like a code (never echoed text)."""
    code = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
        return code
    return "no error code"


def check_token_url(url: str) -> None:
    """Secrets only travel over HTTPS; plain HTTP is allowed to the local machine (tests)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ValueError("the OAuth2 token URL must be https:// (http:// only for localhost)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TokenProvider:
    """Hands out a cached access token, refreshing it with the refresh-token grant.

    Thread-safe: one lock guards the cache, and a refresh happens under it, so threads
    that need a token at the same moment wait for one refresh instead of each doing one.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        scope: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
        http_post: HttpPost = urllib_post,
    ) -> None:
        check_token_url(token_url)
        self.token_url = token_url
        self.client_id = client_id
        self.scope = scope
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._clock = clock
        self._post = http_post
        self._lock = threading.Lock()
        self._access: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"TokenProvider(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def token(self) -> str:
        """A valid access token, fetched anew when absent or within a minute of expiry."""
        with self._lock:
            if self._access is None or self._clock() >= self._expires_at - REFRESH_MARGIN:
                self._access, self._expires_at = self._refresh()
            return self._access

    def invalidate(self, token: str | None = None) -> None:
        """Forget the access token after a server rejected it.

        Given the rejected ``token``, a newer one fetched meanwhile by another thread
        is kept, so two users of one provider do not throw away each other's tokens.
        """
        with self._lock:
            if token is None or token == self._access:
                self._access = None

    def _refresh(self) -> tuple[str, float]:
        started = self._clock()  # expiry counts from before the request, to stay on the safe side
        try:
            answer = self._post(self.token_url, self._form())
        except TokenError as err:
            raise TokenError(self._scrub(str(err))) from None
        except (OSError, ValueError) as err:
            raise TokenError(f"token request failed ({type(err).__name__})") from None
        if not isinstance(answer, dict):
            raise TokenError("token endpoint answered with no JSON object")
        access = answer.get("access_token")
        if "error" in answer or not isinstance(access, str) or not access:
            raise TokenError(f"token endpoint gave no access token ({error_code(answer)})")
        rotated = answer.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != self._refresh_token:
            # Some providers (Microsoft) issue a new refresh token with each refresh.
            self._refresh_token = rotated
            log.info("OAuth2 refresh token rotated by the provider")
        return access, started + _expires_in(answer.get("expires_in"))

    def _form(self) -> dict[str, str]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.scope:
            form["scope"] = self.scope
        return form

    def _scrub(self, message: str) -> str:
        """Belt and braces: a custom ``http_post`` might put the form in its error text."""
        for secret in (self._client_secret, self._refresh_token, self._access):
            if secret:
                message = message.replace(secret, "***")
        return message


def _expires_in(value: object) -> float:
    """Seconds the token lives; providers send a number or a numeric string."""
    try:
        seconds = float(value) if isinstance(value, (int, float, str)) else DEFAULT_EXPIRES_IN
    except ValueError:
        seconds = DEFAULT_EXPIRES_IN
    return max(seconds, 0.0) if math.isfinite(seconds) else DEFAULT_EXPIRES_IN
