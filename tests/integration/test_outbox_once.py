"""Each outgoing mail is sent once (issue 11), with a real SMTP server (aiosmtpd), real
dramatiq workers and the real sweep, on SQLite and PostgreSQL.

A slow server must not let the sweep hand a batch to a second worker while the first
still sends; a transport failing in the middle of a batch must leave only the unsent
mails to send again; a worker whose claim was taken over must record nothing; two
copies of one mail processed at the same moment must become one case.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from pipeline import jobs
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, InboundMail, OutboundMail
from pipeline.intake.process import claim_inbound, claim_many, process_inbound, process_many
from pipeline.mailbox.ledger import record_mail
from pipeline.outbound.send import claim_outbound, send_many
from pipeline.outbound.sent import mark_sent
from pipeline.outbound.transport import MailTransport
from tests.support import mails
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.runtime import Runtime
from workers.service import start_worker
from workers.sweeper import sweep_once


def smtp_settings(settings: Settings, sink: SmtpSink, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "smtp_starttls": False,
            "retry_min_backoff_ms": 10,
            "retry_max_backoff_ms": 50,
            **changes,
        }
    )


@pytest.fixture
def slow_sink() -> Iterator[SmtpSink]:
    """An SMTP server that takes half a second per mail before its 250."""
    with SmtpSink(delay=0.5) as server:
        yield server


def pending_acknowledgments(runtime: Runtime, n: int) -> list[int]:
    """n complaints turned into cases whose acknowledgments wait, unsent, in the outbox."""
    with runtime.factory() as session, session.begin():
        inbound_ids = [
            record_mail(
                session,
                raw=mails.complaint(sender=f"c{i}@customer.example", subject=f"Problem {i}"),
                source="test",
            ).inbound_id
            for i in range(n)
        ]
    held = claim_many(runtime.factory, inbound_ids=inbound_ids, settings=runtime.settings)
    outcomes = process_many(runtime.factory, held=held, settings=runtime.settings)
    ids = sorted(o for outcome in outcomes for o in outcome.outbound_ids)
    assert len(ids) == n
    return ids


def statuses(runtime: Runtime, ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    with runtime.factory() as session:
        rows = session.execute(
            select(OutboundMail.id, OutboundMail.status, OutboundMail.attempts).where(
                OutboundMail.id.in_(ids)
            )
        ).all()
    return {r.id: (r.status, r.attempts) for r in rows}


def message_ids(runtime: Runtime, ids: Sequence[int]) -> list[str]:
    with runtime.factory() as session:
        return list(
            session.scalars(
                select(OutboundMail.message_id)
                .where(OutboundMail.id.in_(ids))
                .order_by(OutboundMail.id)
            )
        )


def test_slow_server_and_the_sweep_deliver_each_mail_once(
    settings: Settings, slow_sink: SmtpSink
) -> None:
    """GIVEN a batch that takes twice the claim period to send, and the sweep running
    every 0.2 s with a worker ready to send whatever it nudges, THEN every mail arrives
    exactly once: the sender renews its claim before each mail."""
    fast = smtp_settings(settings, slow_sink, claim_seconds=2.0)
    runtime = build_runtime(fast)
    ids = pending_acknowledgments(runtime, 8)
    worker = start_worker(runtime)
    stop = threading.Event()
    sweeps: list[int] = []

    def sweep() -> None:
        while not stop.wait(0.2):
            sweeps.append(sum(sweep_once(runtime)))

    sender = threading.Thread(
        target=lambda: send_many(
            runtime.factory, outbound_ids=ids, transport=runtime.transport(), settings=fast
        )
    )
    started = time.monotonic()
    sender.start()
    sweeper = threading.Thread(target=sweep)
    try:
        wait_until(
            lambda: all(s in ("sending", "sent") for s, _ in statuses(runtime, ids).values()),
            30,
            "the batch to be claimed",
        )
        sweeper.start()
        sender.join(timeout=60)
        assert not sender.is_alive()
        took = time.monotonic() - started
        wait_until(lambda: len(sweeps) >= 5, 30, "the sweep to run a few more times")
    finally:
        stop.set()
        if sweeper.is_alive():
            sweeper.join(timeout=30)
        worker.stop()
        runtime.broker.close()
        runtime.engine.dispose()

    assert took > 2 * fast.claim_seconds  # the batch outlived two claim periods
    assert statuses(runtime, ids) == {i: ("sent", 1) for i in ids}
    delivered = slow_sink.message_ids()
    assert sorted(delivered) == sorted(message_ids(runtime, ids))
    assert set(delivered.values()) == {1}


class FailsAfter:
    """The real SMTP transport, cut off after ``n`` mails as a dropped connection would."""

    def __init__(self, inner: MailTransport, n: int) -> None:
        self.inner = inner
        self.left = n

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        if self.left == 0:
            raise RuntimeError("the connection broke in the middle of the batch")
        self.inner.send(raw, sender=sender, recipients=recipients)
        self.left -= 1

    def close(self) -> None:
        self.inner.close()


def test_transport_failing_after_mail_3_resends_only_the_unsent(
    settings: Settings, sink: SmtpSink
) -> None:
    fast = smtp_settings(settings, sink)
    runtime = build_runtime(fast)
    ids = pending_acknowledgments(runtime, 6)
    broken = FailsAfter(runtime.make_transport(), 3)

    with pytest.raises(RuntimeError):
        send_many(runtime.factory, outbound_ids=ids, transport=broken, settings=fast)

    after = statuses(runtime, ids)
    assert [after[i] for i in ids[:3]] == [("sent", 1)] * 3
    # Mail 4 was being handed over when the error came: it waits for its claim to
    # expire. Mails 5 and 6 were never tried: back to pending, no attempt used.
    assert after[ids[3]] == ("sending", 1)
    assert [after[i] for i in ids[4:]] == [("pending", 0)] * 2

    def all_sent() -> bool:
        send_many(runtime.factory, outbound_ids=ids, transport=runtime.transport(), settings=fast)
        return all(s == "sent" for s, _ in statuses(runtime, ids).values())

    wait_until(all_sent, 30, "the unsent mails to go out", interval=0.5)
    runtime.engine.dispose()
    delivered = sink.message_ids()
    assert sorted(delivered) == sorted(message_ids(runtime, ids))
    assert set(delivered.values()) == {1}


def test_sender_whose_claim_was_taken_over_records_nothing(
    settings: Settings, sink: SmtpSink
) -> None:
    """GIVEN a worker frozen past its claim, whose mail another worker has sent, THEN the
    frozen worker's fenced updates touch nothing: no second 'sent' event, no failure."""
    fast = smtp_settings(settings, sink)
    runtime = build_runtime(fast)
    [outbound_id] = pending_acknowledgments(runtime, 1)
    frozen = claim_outbound(runtime.factory, outbound_ids=[outbound_id], settings=fast)
    assert frozen.ids == (outbound_id,)
    expire_claim(runtime, outbound_id)  # the frozen worker stops renewing

    report = send_many(
        runtime.factory, outbound_ids=[outbound_id], transport=runtime.transport(), settings=fast
    )
    assert report.sent == [outbound_id]
    assert jobs.renew(runtime.factory, frozen, [outbound_id]) == {}
    assert jobs.release(runtime.factory, frozen, [outbound_id], error="late") == 0
    with runtime.factory() as session, session.begin():
        assert jobs.finish(session, frozen, [outbound_id], status="failed") == []
    assert statuses(runtime, [outbound_id]) == {outbound_id: ("sent", 1)}
    assert len(sink.message_ids()) == 1
    runtime.engine.dispose()


def expire_claim(runtime: Runtime, outbound_id: int) -> None:
    """The holder stopped renewing a year ago: longer than any claim period."""
    age_claim(runtime, outbound_id, timedelta(days=366).total_seconds())


def test_two_copies_of_one_mail_processed_at_once_are_one_case(
    runtime: Runtime, settings: Settings
) -> None:
    """Two copies with the same Message-ID but different bytes (one relayed with an extra
    header), each processed by its own worker at the same moment, several times over."""
    rounds = 6
    pairs = []
    for n in range(rounds):
        message_id = f"<copy-{n}@customer.example>"
        first = mails.complaint(sender=f"c{n}@customer.example", message_id=message_id)
        second = mails.complaint(
            sender=f"c{n}@customer.example",
            message_id=message_id,
            headers={"X-Relayed-By": "backup-mx.shop.example"},
        )
        with runtime.factory() as session, session.begin():
            pairs.append(
                [record_mail(session, raw=raw, source="test").inbound_id for raw in (first, second)]
            )

    def process(inbound_id: int, gate: threading.Barrier) -> None:
        held = claim_inbound(runtime.factory, inbound_id=inbound_id, settings=settings)
        assert held is not None
        gate.wait(timeout=30)
        process_inbound(runtime.factory, held=held, settings=settings)

    for pair in pairs:
        gate = threading.Barrier(2)
        threads = [threading.Thread(target=process, args=(i, gate)) for i in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    with runtime.factory() as session:
        assert session.scalar(select(func.count(Case.id))) == rounds
        for pair in pairs:
            rows = sorted(
                (session.get(InboundMail, i) for i in pair),
                key=lambda r: r.classification,  # type: ignore[union-attr]
            )
            assert [(r.status, r.classification) for r in rows] == [  # type: ignore[union-attr]
                ("processed", "complaint"),
                ("processed", "duplicate"),
            ]
            assert rows[0].case_id is not None  # type: ignore[union-attr]
            assert rows[0].case_id == rows[1].case_id  # type: ignore[union-attr]
        assert session.scalar(select(func.count(OutboundMail.id))) == rounds


def test_marking_a_mail_sent_renews_the_rest_only_while_the_claim_holds(
    settings: Settings,
) -> None:
    """GIVEN three claimed mails, the third's claim aged past a sixth of the period,
    WHEN the first is marked sent THEN the same commit counts an attempt for the next
    one and renews the aged claim; WHEN the claim on a mail was taken over THEN marking
    it sent changes nothing, not even the rest's claim."""
    runtime = build_runtime(settings)
    first, second, third = pending_acknowledgments(runtime, 3)
    held = claim_outbound(runtime.factory, outbound_ids=[first, second, third],
                          settings=settings)
    age_claim(runtime, third, settings.claim_seconds / 3)
    moment = utcnow()
    with runtime.factory() as session, session.begin():
        renewed = mark_sent(session, held, first, moment, renew=[second, third])
    assert renewed == {second: 1, third: 0}
    assert statuses(runtime, [first, second, third]) == {
        first: ("sent", 0), second: ("sending", 1), third: ("sending", 0)}
    assert all(at is not None and at >= moment  # renewed (SQLite: a moment later)
               for at in claimed_at(runtime, [second, third]).values())

    expire_claim(runtime, second)
    other = claim_outbound(runtime.factory, outbound_ids=[second], settings=settings)
    assert other.ids == (second,)
    age_claim(runtime, third, settings.claim_seconds / 3)
    before = claimed_at(runtime, [third])
    with runtime.factory() as session, session.begin():
        assert mark_sent(session, held, second, utcnow(), renew=[third]) is None
    assert statuses(runtime, [second, third]) == {second: ("sending", 1),
                                                  third: ("sending", 0)}
    assert claimed_at(runtime, [third]) == before
    with runtime.factory() as session:
        events = session.scalars(select(CaseEvent.action)
                                 .where(CaseEvent.action == "acknowledgment_sent")).all()
    assert len(events) == 1
    runtime.engine.dispose()


def test_a_fresh_claim_is_not_rewritten_by_each_mail_sent(settings: Settings) -> None:
    """GIVEN a batch claimed a moment ago WHEN its mails are marked sent one by one
    THEN only the next mail's row is written with each (its attempt counted): the
    others keep the claim time they have, younger than a sixth of the claim period, so
    PostgreSQL writes no row version of a waiting mail per mail sent. The answer names
    the next mail, which tells the sender it is still ours."""
    runtime = build_runtime(settings)
    ids = pending_acknowledgments(runtime, 4)
    held = claim_outbound(runtime.factory, outbound_ids=ids, settings=settings)
    claimed = claimed_at(runtime, ids)
    for n, outbound_id in enumerate(ids):
        with runtime.factory() as session, session.begin():
            renewed = mark_sent(session, held, outbound_id, utcnow(), renew=ids[n + 1:])
        assert renewed == ({ids[n + 1]: 1} if n + 1 < len(ids) else {})
        waiting = ids[n + 2:]
        assert claimed_at(runtime, waiting) == {i: claimed[i] for i in waiting}
    assert statuses(runtime, ids) == {ids[0]: ("sent", 0), **{i: ("sent", 1) for i in ids[1:]}}
    runtime.engine.dispose()


def age_claim(runtime: Runtime, outbound_id: int, seconds: float) -> None:
    with runtime.factory() as session, session.begin():
        mail = session.get(OutboundMail, outbound_id)
        assert mail is not None and mail.claimed_at is not None
        mail.claimed_at -= timedelta(seconds=seconds)


def claimed_at(runtime: Runtime, ids: Sequence[int]) -> dict[int, datetime | None]:
    with runtime.factory() as session:
        rows = session.execute(select(OutboundMail.id, OutboundMail.claimed_at)
                               .where(OutboundMail.id.in_(list(ids)))).all()
    return {row.id: row.claimed_at for row in rows}


def test_renewals_of_any_length_are_one_statement_on_postgresql(settings: Settings) -> None:
    """GIVEN claimed mails WHEN the claim is renewed on one, two and three of them, and
    a send is recorded with two and with none left THEN PostgreSQL is sent one SQL text
    for each kind of renewal: the ids go as one array, so the server prepares each
    statement once, not once per length (an ``IN`` list writes each length anew)."""
    if not settings.database_url:
        pytest.skip("SQLite has no arrays: the ids go as an IN list there")
    from sqlalchemy import event

    runtime = build_runtime(settings)
    ids = pending_acknowledgments(runtime, 6)
    held = claim_outbound(runtime.factory, outbound_ids=ids, settings=settings)
    texts: set[str] = set()

    def seen(conn: object, cursor: object, sql: str, *args: object) -> None:
        fenced = "claim_token" in sql  # not the test's own aging of the claims
        if fenced and sql.lstrip().upper().startswith(("UPDATE", "WITH")):
            texts.add(sql)

    event.listen(runtime.engine, "before_cursor_execute", seen)
    try:
        for length in (1, 2, 3):
            for outbound_id in ids[:length]:
                age_claim(runtime, outbound_id, settings.claim_seconds / 3)
            assert set(jobs.renew(runtime.factory, held, ids[:length], attempt=ids[0])) == set(
                ids[:length])
        assert len(texts) == 1
        texts.clear()
        with runtime.factory() as session, session.begin():
            assert mark_sent(session, held, ids[0], utcnow(), renew=ids[1:3]) is not None
            assert mark_sent(session, held, ids[1], utcnow(), renew=[]) == {}
        assert len(texts) == 1
    finally:
        event.remove(runtime.engine, "before_cursor_execute", seen)
        runtime.engine.dispose()
