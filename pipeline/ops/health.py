"""Is the product healthy? The database, Redis, every mailbox's reads, queues, unsent mail.

Served as ``/healthz`` (HTTP 503 when anything fails) and printed by ``complaints
status``. It needs no login, so it reveals nothing about customers: counts, ages and
the names of our own mailboxes only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config.mailboxes import load_mailboxes
from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import InboundMail, LetterScan, MailboxPoll, OutboundMail

UNSENT_LIMIT_SECONDS = 30 * 60
"""Mail still unsent after this long means sending is broken (retries back off ≤ 5 min)."""


@dataclass(frozen=True)
class Mailbox:
    """One mailbox's reads: when it last worked, and whether that is recent enough."""

    name: str
    ok: bool
    last_success_at: str | None
    seconds_since_success: float | None
    last_failure_at: str | None
    stale_after_seconds: float


@dataclass(frozen=True)
class Health:
    ok: bool
    checked_at: str
    database: dict[str, Any]
    redis: dict[str, Any]
    mailboxes: list[Mailbox]
    queues: dict[str, int]
    oldest_unsent_mail_seconds: float | None
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "failing", **asdict(self)}


def configured_mailboxes(settings: Settings) -> list[tuple[str, str, float]]:
    """(ledger name, public label, stale after seconds) for every mailbox we poll.

    Every mailbox of ``COMPLAINTS_MAILBOXES_FILE`` (or the one of the single-mailbox
    settings) gets its line, named by its key and server, never a path or password.
    """
    imap_stale = 2 * settings.imap_idle_seconds + settings.imap_timeout_seconds + 60
    found = []
    for box in load_mailboxes(settings):
        if box.imap is not None:
            label = f"{box.key}: imap://{box.imap.host}:{box.imap.port}/{box.imap.folder}"
            found.append((box.ledger_name, label, imap_stale))
        else:
            found.append((box.ledger_name, f"{box.key}: folder", 120.0))
    return found


def check_health(factory: sessionmaker[Session], settings: Settings,
                 now: datetime | None = None) -> Health:
    """Look at everything once; each part is checked even when another one fails."""
    moment = now or utcnow()
    problems: list[str] = []
    redis = check_redis(settings.redis_url)
    if not redis["ok"]:
        problems.append("redis")
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
            mailboxes = _mailboxes(session, settings, moment)
            queues = queue_depths(session)
            oldest = oldest_unsent_seconds(session, moment)
        database: dict[str, Any] = {"ok": True}
    except SQLAlchemyError as exc:
        database = {"ok": False, "error": type(exc).__name__}
        problems.append("database")
        mailboxes, queues, oldest = [], {}, None
    problems += [f"mailbox {m.name}" for m in mailboxes if not m.ok]
    if oldest is not None and oldest > UNSENT_LIMIT_SECONDS:
        problems.append("unsent mail")
    return Health(ok=not problems, checked_at=moment.isoformat(), database=database,
                  redis=redis, mailboxes=mailboxes, queues=queues,
                  oldest_unsent_mail_seconds=oldest, problems=problems)


def check_redis(url: str) -> dict[str, Any]:
    """Ping Redis when the queue lives there; the embedded mode has none to check."""
    if not url:
        return {"ok": True, "used": False}
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
        return {"ok": True, "used": True}
    except redis.RedisError as exc:
        return {"ok": False, "used": True, "error": type(exc).__name__}
    finally:
        client.close()


def _mailboxes(session: Session, settings: Settings, now: datetime) -> list[Mailbox]:
    found = []
    for name, label, stale in configured_mailboxes(settings):
        row = session.get(MailboxPoll, name)
        success = row.last_success_at if row else None
        age = (now - success).total_seconds() if success else None
        failure = row.last_failure_at if row else None
        found.append(Mailbox(
            name=label, ok=age is not None and age <= stale,
            last_success_at=success.isoformat() if success else None,
            seconds_since_success=round(age, 1) if age is not None else None,
            last_failure_at=failure.isoformat() if failure else None,
            stale_after_seconds=stale))
    return found


def queue_depths(session: Session) -> dict[str, int]:
    """Work waiting, as the database rows say (queue messages are only nudges)."""
    def count(model: Any, *where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return {
        "intake": count(InboundMail, InboundMail.status == "received"),
        "outbox": count(OutboundMail, OutboundMail.status.in_(("pending", "sending"))),
        "ocr": count(LetterScan, LetterScan.status == "received"),
    }


def oldest_unsent_seconds(session: Session, now: datetime) -> float | None:
    oldest = session.scalar(select(func.min(OutboundMail.created_at))
                            .where(OutboundMail.status.in_(("pending", "sending"))))
    return round((now - oldest).total_seconds(), 1) if oldest else None
