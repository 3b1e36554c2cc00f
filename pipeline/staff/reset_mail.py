"""The mail that carries a password-reset link to a member of staff."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from config.settings import Settings
from letters.staff_notices import render_password_reset
from pipeline.db.models import User
from pipeline.outbound.transport import MailTransport
from pipeline.staff.accounts import RESET_LINK_HOURS


def reset_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/reset/{token}"


def send_reset_link(transport: MailTransport, *, settings: Settings, user: User,
                    token: str) -> None:
    """Send the link now; a failure raises, so the admin sees it and can reset again."""
    link = reset_url(settings, token)
    msg = EmailMessage()
    msg["From"] = formataddr((settings.from_name, settings.from_address))
    msg["To"] = user.email
    notice = render_password_reset(username=user.username, link=link, hours=RESET_LINK_HOURS)
    msg["Subject"] = notice.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(notice.text)
    transport.send(bytes(msg), sender=settings.from_address, recipients=[user.email])
