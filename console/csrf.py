"""CSRF protection: every POST carries the session's token, compared in constant time.

Signed-in pages use the token stored with the session. The login form, which has no
session yet, uses a double-submit cookie: a random token in a SameSite=Strict cookie
that must match the form's hidden field.
"""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf_token"
LOGIN_COOKIE = "console_login_csrf"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid(expected: str | None, given: object) -> bool:
    """True only for a non-empty token equal to the expected one."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
