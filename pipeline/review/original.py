"""The customer's original mail as staff see it: plain text, or sanitised HTML.

Customer HTML is hostile until proven otherwise. It is cut to a size first (nh3 is
fast, but a 40 MB body is not worth cleaning), cleaned with nh3 so no script, event
handler, form or style sheet survives, and stripped of every URL, so a remote image
cannot tell the sender the mail was read. The console then shows it in a sandboxed
frame under a CSP that forbids any request at all (``console.routes.cases``).
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import InboundMail
from pipeline.intake.mime import parse_mail

MAX_HTML_CHARS = 500_000
MAX_TEXT_CHARS = 200_000
# Tags that carry layout and emphasis only; nh3 drops everything else with its content
# kept as text (script and style lose their content too).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "div", "em", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


@dataclass(frozen=True)
class Original:
    inbound_id: int
    subject: str
    from_address: str
    text: str
    html: str | None  # sanitised; None when the mail had no HTML part
    unreadable: str = ""  # why the mail could not be shown, if it could not


def sanitise_html(markup: str) -> str:
    """Customer HTML reduced to inert layout: no scripts, handlers, forms or URLs."""
    return nh3.clean(
        markup[:MAX_HTML_CHARS],
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def original_mails(session: Session, case_id: int) -> list[Original]:
    """The mails that opened or joined the case, oldest first, ready to show."""
    rows = session.scalars(
        select(InboundMail).where(InboundMail.case_id == case_id).order_by(InboundMail.id)
    ).all()
    return [read_original(row) for row in rows]


def read_original(row: InboundMail) -> Original:
    try:
        mail = parse_mail(row.raw)
    except Exception as err:  # noqa: BLE001 - a mail we cannot parse is shown as raw text
        return Original(row.id, row.subject, row.from_address,
                        row.raw[:MAX_TEXT_CHARS].decode("utf-8", "replace"), None,
                        unreadable=f"{type(err).__name__}: {err}")
    html = sanitise_html(mail.html) if mail.html else None
    return Original(row.id, mail.subject, mail.from_address, mail.text[:MAX_TEXT_CHARS], html)
