"""Named leases in the database, so exactly one poller per mailbox is active.

A lease is a row with a holder and an expiry. The holder renews it well before it
expires; a standby takes it over only once it has expired, which bounds the time a
crashed poller's mailbox goes unwatched to one lease period. Using the database
(not Redis) keeps the rule the same in the embedded mode and in production.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.base import utcnow
from pipeline.db.models import Lease


def try_acquire(factory: sessionmaker[Session], *, name: str, holder: str, seconds: float) -> bool:
    """Take or renew the lease; True when ``holder`` now holds it."""
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    with factory() as session, session.begin():
        result = session.execute(
            update(Lease)
            .where(Lease.name == name)
            .where((Lease.holder == holder) | (Lease.expires_at < now))
            .values(holder=holder, expires_at=expires)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
    try:
        with factory() as session, session.begin():
            session.execute(insert(Lease).values(name=name, holder=holder, expires_at=expires))
        return True
    except IntegrityError:
        return False


def release(factory: sessionmaker[Session], *, name: str, holder: str) -> None:
    """Give the lease up at once, so a standby need not wait for it to expire."""
    with factory() as session, session.begin():
        session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
