"""The customer's status-page link: ``PUBLIC_URL/status/<token>``, no login.

The token is the case id signed with the server's secret (salt of its own), so it
cannot be made up or edited to point at another case. It carries no expiry: a link
works while the case is open and for ``DAYS_AFTER_CLOSING`` days after it closed,
decided from the case at each visit, so a reopened case's old links work again.
The notice PDFs listed on the page get a second signed token naming the case and
the notice, so a download link never opens another case's letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature

from config.secrets import secret_key
from config.settings import Settings
from pipeline.links.signing import serializer

SALT = "complaints.status-page"
DOCUMENT_SALT = "complaints.status-page.document"
DAYS_AFTER_CLOSING = 90
MAX_TOKEN_LENGTH = 200


class StatusLinkError(ValueError):
    """A link that was altered, never ours, or for a case no longer shown."""


@dataclass(frozen=True)
class DocumentLink:
    """What a notice download link names: the case and the notice."""

    case_id: int
    notice_id: int


def sign_status(case_id: int, *, secret: str) -> str:
    """The token of case ``case_id``'s status page."""
    return str(serializer(secret, SALT).dumps(case_id))


def read_status(token: str, *, secret: str) -> int:
    """The case id a status token names; raises StatusLinkError for anything else."""
    value = _loads(token, secret, SALT)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise StatusLinkError("not a status link")
    return value


def sign_document(case_id: int, notice_id: int, *, secret: str) -> str:
    """The token of one notice's download link on the status page."""
    return str(serializer(secret, DOCUMENT_SALT).dumps([case_id, notice_id]))


def read_document(token: str, *, secret: str) -> DocumentLink:
    """The case and notice a download token names; raises StatusLinkError otherwise."""
    value = _loads(token, secret, DOCUMENT_SALT)
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise StatusLinkError("not a document link")
    return DocumentLink(case_id=value[0], notice_id=value[1])


def _loads(token: str, secret: str, salt: str) -> object:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise StatusLinkError("not a status link")
    try:
        return serializer(secret, salt).loads(token)
    except (BadSignature, ValueError, TypeError) as err:
        raise StatusLinkError("not a status link") from err


def link_alive(closed_at: datetime | None, *, now: datetime,
               days: int = DAYS_AFTER_CLOSING) -> bool:
    """Open, or closed at most ``days`` ago: the page is shown and the form accepted."""
    return closed_at is None or now - closed_at <= timedelta(days=days)


def status_url(settings: Settings, case_id: int) -> str:
    """The personal status-page address every customer letter carries (``status_url``)."""
    token = sign_status(case_id, secret=secret_key(settings))
    return f"{settings.public_url.rstrip('/')}/status/{token}"
