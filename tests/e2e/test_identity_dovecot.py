"""The identity attacks through the whole product: Dovecot in, ``complaints run``, SMTP out.

A stranger copies our acknowledgment's Message-ID and the case reference, sends a new
phone number and "I agree"; another sender writes "My email: someone@example.org".
The SMTP sink shows what left the building.
"""

from __future__ import annotations

import email
import email.policy
import signal
import subprocess
import sys
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.base import make_engine, make_session_factory
from pipeline.db.models import Case, Correspondence
from tests.e2e.test_cli_embedded import clean_env
from tests.support import mails
from tests.support.dovecot import DovecotServer, free_port
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


def _env(settings: Settings, dovecot: DovecotServer) -> dict[str, str]:
    env = clean_env()
    env.update(
        COMPLAINTS_DATA_DIR=str(settings.data_dir),
        COMPLAINTS_DATABASE_URL=str(settings.database_url),
        COMPLAINTS_REDIS_URL=str(settings.redis_url),
        COMPLAINTS_IMAP_HOST=dovecot.host, COMPLAINTS_IMAP_PORT=str(dovecot.port),
        COMPLAINTS_IMAP_USER=dovecot.user, COMPLAINTS_IMAP_PASSWORD=dovecot.password,
        COMPLAINTS_IMAP_SSL="false", COMPLAINTS_IMAP_DONE_FOLDER="Recorded",
        COMPLAINTS_SMTP_HOST="127.0.0.1", COMPLAINTS_SMTP_PORT=str(settings.smtp_port),
        COMPLAINTS_SMTP_STARTTLS="false", COMPLAINTS_FROM_ADDRESS=settings.from_address,
        COMPLAINTS_WEB_PORT=str(free_port()), COMPLAINTS_LOG_LEVEL="WARNING",
    )
    return env


def _sent_to(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _, rcpts, raw in sink.messages if address in rcpts]


def _text(message: EmailMessage) -> str:
    return "\n".join([str(message["Subject"])] + [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"])


def test_strangers_act_on_nothing_and_we_write_only_to_senders(
    prod_settings: Settings, dovecot: DovecotServer, sink: SmtpSink
) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "workers", "run"],
                            env=_env(prod_settings, dovecot), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    factory = make_session_factory(make_engine(str(prod_settings.database_url)))
    try:
        dovecot.append(mails.complaint(
            sender="Jane Smith <jane@customer.example>",
            body="My kettle leaks. Call me on 139 1234 5678.\nJane Smith\n"))
        wait_until(lambda: bool(_sent_to(sink, "jane@customer.example")), 90,
                   "Jane's acknowledgment")
        ack = _sent_to(sink, "jane@customer.example")[0]
        with factory() as session:
            reference = session.scalars(select(Case.reference)).one()

        dovecot.append(mails.reply(
            to_message_id=str(ack["Message-ID"]), subject=f"Re: [{reference}] kettle",
            body="I agree. My new number is 138 0013 8000.",
            sender="Mallory <mallory@evil.example>"))
        dovecot.append(mails.complaint(
            sender="Bob <bob@customer.example>", subject="Wrong size delivered",
            body="The shoes are the wrong size.\nMy email: someone@example.org\nBob\n"))
        wait_until(lambda: bool(_sent_to(sink, "mallory@evil.example"))
                   and bool(_sent_to(sink, "bob@customer.example")), 90,
                   "the neutral note to the stranger and Bob's acknowledgment")

        with factory() as session:
            case = session.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            assert (case.status, case.customer_phone) == ("new", "+8613912345678")
            assert "mallory@evil.example" in case.attention
            flags = list(session.scalars(select(Correspondence.verified).where(
                Correspondence.case_id == case.id, Correspondence.direction == "in")
                .order_by(Correspondence.id)))
            assert flags == [True, False]
        note = _text(_sent_to(sink, "mallory@evil.example")[0])
        for secret in (reference, "Jane", "kettle", "1234", "5678"):
            assert secret not in note
        assert _sent_to(sink, "someone@example.org") == []
        assert len(_sent_to(sink, "jane@customer.example")) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        factory.kw["bind"].dispose()
