"""An admin's template version is what the next mail says (issue 12), through a real SMTP
server (aiosmtpd), on SQLite and PostgreSQL; restoring the shipped text takes effect
just as quickly, and a refused edit changes nothing."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.wording.store import TemplateCheckError, restore_version, save_template
from tests.support import mails
from tests.support.smtp_sink import SmtpSink
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

OVERRIDE = ("Dear {{ name or 'customer' }},\n\nYour complaint is case {{ reference }}. "
            "Our team answers within {{ review_days }} working days.\n\n{{ company }}\n")


@pytest.fixture
def mailing(settings: Settings, sink: SmtpSink) -> Iterator[Runtime]:
    runtime = build_runtime(settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_starttls": False}))
    yield runtime
    runtime.engine.dispose()


def _text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _without_status_token(text: str) -> str:
    """The text with each case's own signed status-page token blanked out."""
    return re.sub(r"/status/[\w.-]+", "/status/TOKEN", text)


def _acknowledge(runtime: Runtime, sink: SmtpSink, n: int) -> str:
    ingest_bytes(runtime, mails.complaint(sender=f"Jane {n} <jane{n}@customer.example>",
                                          subject=f"Broken kettle {n}"), name=f"{n}.eml")
    assert sink.wait_for(n, timeout=20)
    return _text(sink.messages[n - 1][2])


def test_an_override_changes_the_next_acknowledgment(mailing: Runtime, sink: SmtpSink) -> None:
    shipped = _acknowledge(mailing, sink, 1)
    assert "Your complaint is case" not in shipped and "CP-2026-000001" in shipped

    with mailing.factory() as session, session.begin():
        save_template(session, name="acknowledgment.en.txt.j2", body=OVERRIDE, by="ada",
                      now=utcnow())
    overridden = _acknowledge(mailing, sink, 2)
    assert overridden.startswith("Dear Jane Smith,\n\nYour complaint is case CP-2026-000002.")

    with pytest.raises(TemplateCheckError), mailing.factory() as session, session.begin():
        save_template(session, name="acknowledgment.en.txt.j2", body="{{ broken", by="ada",
                      now=utcnow())
    assert "Your complaint is case CP-2026-000003" in _acknowledge(mailing, sink, 3)

    with mailing.factory() as session, session.begin():
        restore_version(session, name="acknowledgment.en.txt.j2", version=0, by="ada",
                        now=utcnow())
    again = _acknowledge(mailing, sink, 4)
    assert "/status/" in again
    assert _without_status_token(again) == _without_status_token(
        shipped.replace("000001", "000004").replace("kettle 1", "kettle 4"))
