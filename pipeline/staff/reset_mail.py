"""The mail that carries a password-reset link to a member of staff."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from config.settings import Settings
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
    msg["Subject"] = "Reset your console password / 重置工作台密码"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"An administrator reset the password of your console account '{user.username}'.\n"
        f"Choose a new password here (the link works once, for {RESET_LINK_HOURS} hours):\n"
        f"{link}\n\n"
        f"管理员重置了您的工作台账号“{user.username}”的密码。\n"
        f"请在 {RESET_LINK_HOURS} 小时内通过以下链接设置新密码（仅可使用一次）：\n{link}\n"
    )
    transport.send(bytes(msg), sender=settings.from_address, recipients=[user.email])
