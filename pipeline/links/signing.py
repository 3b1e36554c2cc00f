"""The one way customer links are signed: itsdangerous with the server's secret key.

Every kind of link has its own salt, so a token made for one purpose (a survey
answer) is never accepted for another (the status page), even though both are signed
with the same key.
"""

from __future__ import annotations

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer


def timed_serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    """A serializer whose tokens carry their signing time (for links that expire by age)."""
    if not secret:
        raise ValueError("A secret key is needed to sign customer links.")
    return URLSafeTimedSerializer(secret, salt=salt)


def serializer(secret: str, salt: str) -> URLSafeSerializer:
    """A serializer for links whose validity depends on the case, not on their age.

    Without a timestamp the token is shorter, which matters for a link printed on paper.
    """
    if not secret:
        raise ValueError("A secret key is needed to sign customer links.")
    return URLSafeSerializer(secret, salt=salt)
