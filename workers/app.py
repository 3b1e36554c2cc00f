"""Composition root: build a process's runtime from settings."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import configure_mappers

from config.plaintext import check_plaintext_login
from config.settings import Settings
from pipeline.db.base import make_engine, make_session_factory
from pipeline.db.migrate import upgrade
from pipeline.outbound.folder import FolderTransport
from pipeline.outbound.oauth2 import TokenProvider
from pipeline.outbound.smtp import SmtpTransport
from pipeline.outbound.transport import MailTransport
from workers.actors import declare_actors
from workers.broker import make_broker
from workers.runtime import Runtime, install

log = logging.getLogger(__name__)


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Create engine, broker, actors and transports, and install them for the actors."""
    check_plaintext_login(settings)  # before anything starts: a clear refusal, not a leak
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    broker = make_broker(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        factory=make_session_factory(engine),
        broker=broker,
        make_transport=lambda: make_transport(settings),
    )
    runtime.actors = declare_actors(broker, settings)
    install(runtime)
    # The ORM sets up its mapped classes on first use (0.03 s here, more on a busy
    # machine): here, before the process says it is ready, not inside its first batch.
    configure_mappers()
    return runtime


def token_provider(settings: Settings) -> TokenProvider | None:
    """The OAuth2 token source for XOAUTH2 mailboxes, or None for password login."""
    if not settings.uses_oauth2:
        return None
    return TokenProvider(
        settings.oauth2_token_url,
        settings.oauth2_client_id,
        settings.oauth2_client_secret.get_secret_value(),
        settings.oauth2_refresh_token.get_secret_value(),
        settings.oauth2_scope,
    )


def make_transport(settings: Settings) -> MailTransport:
    """SMTP when configured, else .eml files in the outbox folder."""
    if not settings.uses_smtp:
        return FolderTransport(Path(settings.outbox_dir))
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
        ssl=settings.smtp_ssl,
        timeout=settings.smtp_timeout_seconds,
        token_provider=token_provider(settings),
        allow_plaintext_login=settings.allow_plaintext_login,
    )
