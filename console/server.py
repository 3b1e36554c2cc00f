"""Serving the console with uvicorn: alone (``complaints web``) or beside the workers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from console.app import create_app
from console.dispatch import SendOutbound
from pipeline.outbound.transport import MailTransport


def console_address(settings: Settings, host: str | None = None, port: int | None = None) -> str:
    shown = host or settings.web_host
    if shown in ("0.0.0.0", "::", ""):
        shown = "127.0.0.1"
    return f"http://{shown}:{port or settings.web_port}/"


def make_server(settings: Settings, *, host: str | None = None, port: int | None = None,
                factory: sessionmaker[Session] | None = None,
                send_outbound: SendOutbound | None = None,
                make_transport: Callable[[], MailTransport] | None = None) -> uvicorn.Server:
    app = create_app(settings, factory=factory, send_outbound=send_outbound,
                     make_transport=make_transport)
    config = uvicorn.Config(app, host=host or settings.web_host, port=port or settings.web_port,
                            log_level="warning", access_log=False, proxy_headers=False)
    return uvicorn.Server(config)


def start_in_thread(server: uvicorn.Server) -> threading.Thread:
    """Run the server in a daemon thread (uvicorn leaves signals to the main thread)."""
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    return thread
