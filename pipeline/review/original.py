"""The customer's original mail as staff see it: plain text, or sanitised HTML.

Customer HTML is hostile until proven otherwise. It is cut to a size first (nh3 is
fast, but a 40 MB body is not worth cleaning), cleaned with nh3 so no script, event
handler, form or style sheet survives, and stripped of every URL, so a remote image
cannot tell the sender the mail was read. The console then shows it in a sandboxed
frame under a CSP that forbids any request at all (``console.routes.cases``).

The sanitised HTML is made once, at intake (``inbound_mail.safe_html``); a mail taken
in before that column existed is sanitised the first time it is shown and kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import InboundMail
from pipeline.mail.mime import parse_mail
from pipeline.mail.safehtml import MAX_HTML_CHARS, sanitise_html

__all__ = ["MAX_HTML_CHARS", "Original", "original_html", "original_mails", "sanitise_html"]

MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class Original:
    inbound_id: int
    subject: str
    from_address: str
    text: str
    html: str | None  # sanitised; None when the mail had no HTML part
    unreadable: str = ""  # why the mail could not be shown, if it could not


def original_mails(session: Session, case_id: int) -> list[Original]:
    """The mails that opened or joined the case, oldest first, ready to show."""
    rows = session.scalars(
        select(InboundMail).where(InboundMail.case_id == case_id).order_by(InboundMail.id)
    ).all()
    return [read_original(row) for row in rows]


def original_html(session: Session, case_id: int, inbound_id: int) -> str | None:
    """One mail's sanitised HTML, for its frame: read as stored, nothing parsed again.

    None when the mail is not the case's or has no HTML part.
    """
    row = session.scalar(select(InboundMail).where(InboundMail.id == inbound_id,
                                                   InboundMail.case_id == case_id))
    if row is None:
        return None
    if row.safe_html is None:
        return read_original(row).html  # an older mail: sanitised now and kept
    return row.safe_html or None


def read_original(row: InboundMail) -> Original:
    try:
        mail = parse_mail(row.raw)
    except Exception as err:  # noqa: BLE001 - a mail we cannot parse is shown as raw text
        return Original(row.id, row.subject, row.from_address,
                        row.raw[:MAX_TEXT_CHARS].decode("utf-8", "replace"), None,
                        unreadable=f"{type(err).__name__}: {err}")
    if row.safe_html is None:  # taken in before intake kept it: sanitise once, keep it
        row.safe_html = sanitise_html(mail.html) if mail.html else ""
    html = row.safe_html if mail.html else None
    return Original(row.id, mail.subject, mail.from_address, mail.text[:MAX_TEXT_CHARS], html)
