"""No password over an unencrypted line, unless the server is this machine or it is allowed.

IMAP and SMTP log in with the mailbox's password (or an OAuth2 token). Without TLS
(``*_ssl``) or STARTTLS, anyone on the path reads it. Every process checks its
settings when it starts (:func:`check_plaintext_login`) and refuses with a message
that says which setting to change; the transports check again right before they log
in. A loopback host (a local relay, a test server) is exempt, and
``COMPLAINTS_ALLOW_PLAINTEXT_LOGIN=true`` allows it anywhere (a trusted private network).
"""

from __future__ import annotations

import ipaddress

from config.settings import Settings


class PlaintextLoginRefused(ValueError):
    """A password would cross the network unencrypted; the message says how to fix it."""


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refuse_plaintext(protocol: str, host: str, *, encrypted: bool, allowed: bool) -> None:
    """Raise unless the login is encrypted, local, or plain text was allowed."""
    if encrypted or allowed or is_loopback(host):
        return
    setting = "COMPLAINTS_IMAP_SSL or COMPLAINTS_IMAP_STARTTLS" if protocol == "IMAP" else \
        "COMPLAINTS_SMTP_SSL or COMPLAINTS_SMTP_STARTTLS"
    raise PlaintextLoginRefused(
        f"Refusing to send the {protocol} password to {host} over an unencrypted connection. "
        f"Turn on {setting}, or set COMPLAINTS_ALLOW_PLAINTEXT_LOGIN=true if the line is "
        f"private. / 拒绝通过未加密连接向 {host} 发送 {protocol} 密码：请启用加密"
        "（SSL 或 STARTTLS），或在可信内网中设置 COMPLAINTS_ALLOW_PLAINTEXT_LOGIN=true。")


def check_plaintext_login(settings: Settings) -> None:
    """At start: refuse settings that would send a mailbox password in plain text."""
    allowed = settings.allow_plaintext_login
    if settings.uses_imap and (settings.imap_user or settings.uses_oauth2):
        refuse_plaintext("IMAP", settings.imap_host, allowed=allowed,
                         encrypted=settings.imap_ssl or settings.imap_starttls)
    if settings.uses_smtp and (settings.smtp_user or settings.uses_oauth2):
        refuse_plaintext("SMTP", settings.smtp_host, allowed=allowed,
                         encrypted=settings.smtp_ssl or settings.smtp_starttls)
