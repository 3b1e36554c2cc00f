"""Several mailboxes against real parts: two Dovecot accounts on one server, the
service polling both, and an SMTP sink seeing who each answer comes from."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import select, text

from config.mailboxes import load_mailboxes
from config.settings import Settings
from pipeline.db.base import make_engine, make_session_factory
from pipeline.db.migrate import upgrade
from pipeline.db.models import Case, InboundMail, Lease, MailboxItem, OutboundMail
from tests.support import mails
from tests.support.dovecot import DovecotServer, require_dovecot
from tests.support.smtp_sink import SmtpSink
from tests.support.waiting import wait_until
from workers.app import build_runtime
from workers.imap_poller import ImapPoller
from workers.service import make_pollers, serve

pytestmark = pytest.mark.dovecot

Account = tuple[str, str]
CN_ADDRESS = "complaints@brand-a.example"
EN_ADDRESS = "service@brand-b.example"


@pytest.fixture(scope="module")
def server() -> Iterator[DovecotServer]:
    """One Dovecot serving every mailbox of this module: one account per mailbox."""
    require_dovecot()
    with DovecotServer() as started:
        yield started


def fresh_account(server: DovecotServer) -> Account:
    server.use_fresh_user()
    return server.user, server.password


def deliver(server: DovecotServer, account: Account, raw: bytes) -> None:
    """Deliver a mail into one account, as the MTA would."""
    server.user, server.password = account
    server.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def mailbox_entry(server: DovecotServer, key: str, account: Account, address: str,
                  name: str, language: str) -> str:
    return (
        f'[[mailbox]]\nkey = "{key}"\nfrom_address = "{address}"\nfrom_name = "{name}"\n'
        f'language = "{language}"\n[mailbox.imap]\nhost = "{server.host}"\n'
        f"port = {server.port}\nuser = \"{account[0]}\"\npassword = \"{account[1]}\"\n"
        "ssl = false\n"
    )


def base_settings(tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "from_address": "complaints@shop.example",
        "imap_idle_seconds": 10,
        "imap_poll_seconds": 0.2,
        "imap_timeout_seconds": 5,
        "lease_seconds": 3,
        "claim_seconds": 3.0,
        "sweep_seconds": 1.0,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def two_mailboxes(server: DovecotServer, tmp_path: Path, **extra: object) -> Settings:
    cn, en = fresh_account(server), fresh_account(server)
    path = tmp_path / "mailboxes.toml"
    path.write_text(
        mailbox_entry(server, "cn", cn, CN_ADDRESS, "品牌A 客户服务部", "zh") + "\n"
        + mailbox_entry(server, "en", en, EN_ADDRESS, "Brand B Service", "en"),
        encoding="utf-8",
    )
    return base_settings(tmp_path, mailboxes_file=str(path), **extra)


def account_of(settings: Settings, key: str) -> Account:
    imap = next(m.imap for m in load_mailboxes(settings) if m.key == key)
    assert imap is not None
    return imap.user, imap.password.get_secret_value()


class Running:
    """The whole service (pollers, workers, sweep) in a thread, stopped on exit."""

    def __init__(self, settings: Settings) -> None:
        self.runtime = build_runtime(settings)
        self.stop = threading.Event()
        ready = threading.Event()
        self.thread = threading.Thread(
            target=serve, args=(self.runtime,),
            kwargs={"poll": True, "work": True, "stop": self.stop, "on_ready": ready.set},
            daemon=True,
        )
        self.thread.start()
        assert ready.wait(30), "the service did not start"

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        self.runtime.engine.dispose()


def headers(raw: bytes) -> dict[str, str]:
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return {name: str(parsed[name]) for name in ("From", "Message-ID", "To")}


def test_each_mailbox_answers_from_its_own_address(server: DovecotServer,
                                                   tmp_path: Path) -> None:
    with SmtpSink() as sink:
        settings = two_mailboxes(server, tmp_path, smtp_host="127.0.0.1", smtp_port=sink.port,
                                 smtp_starttls=False)
        with Running(settings) as running:
            deliver(server, account_of(settings, "cn"), mails.complaint(
                sender="王芳 <wang@customer.example>", subject="水壶漏水",
                body="您好，我买的水壶用了两天就漏水了，请尽快给我换一个。\n王芳\n"))
            # Too short to tell its language: the English mailbox's language decides.
            deliver(server, account_of(settings, "en"), mails.complaint(
                sender="Li Lei <li@customer.example>", subject="投诉", body="AB-12345678\n"))
            assert sink.wait_for(2, timeout=90), "two acknowledgments were not sent"
            answers = {rcpts[0]: (sender, headers(raw)) for sender, rcpts, raw in sink.envelopes}
            assert set(answers) == {"wang@customer.example", "li@customer.example"}

            sender, head = answers["wang@customer.example"]
            assert sender == CN_ADDRESS
            assert parseaddr(head["From"])[1] == CN_ADDRESS
            assert head["Message-ID"].rstrip(">").endswith("@brand-a.example")
            sender, head = answers["li@customer.example"]
            assert sender == EN_ADDRESS
            assert head["From"] == f"Brand B Service <{EN_ADDRESS}>"
            assert head["Message-ID"].rstrip(">").endswith("@brand-b.example")

            with running.runtime.factory() as session:
                cases = {c.customer_email: c for c in session.scalars(select(Case))}
                ledger = {m.from_address: m.mailbox for m in session.scalars(select(InboundMail))}
            assert cases["wang@customer.example"].mailbox == "cn"
            assert cases["li@customer.example"].mailbox == "en"
            assert cases["li@customer.example"].language == "en"
            assert ledger == {"wang@customer.example": "cn", "li@customer.example": "en"}

            # One of our mailboxes writing to another is never answered: no loop.
            loop = mails.complaint(sender=f"Brand B Service <{EN_ADDRESS}>",
                                   subject="Please check this order",
                                   body="Hello, the customer says the kettle leaks again.\n")
            deliver(server, account_of(settings, "cn"), loop)

            def loop_processed() -> bool:
                with running.runtime.factory() as session:
                    row = session.scalar(select(InboundMail).where(
                        InboundMail.from_address == EN_ADDRESS))
                    return row is not None and row.status == "processed"

            wait_until(loop_processed, 60, "the mail from our other mailbox to be processed")
            with running.runtime.factory() as session:
                row = session.scalar(select(InboundMail).where(
                    InboundMail.from_address == EN_ADDRESS))
                assert row is not None and row.classification == "automatic"
                assert "one of our mailboxes" in row.detail and row.case_id is None
                assert session.scalar(select(OutboundMail).where(
                    OutboundMail.to_address == EN_ADDRESS)) is None
        assert len(sink.messages) == 2


def test_the_single_mailbox_settings_still_work(server: DovecotServer, tmp_path: Path) -> None:
    with SmtpSink() as sink:
        account = fresh_account(server)
        settings = base_settings(
            tmp_path, imap_host=server.host, imap_port=server.port, imap_user=account[0],
            imap_password=account[1], imap_ssl=False, smtp_host="127.0.0.1",
            smtp_port=sink.port, smtp_starttls=False)
        with Running(settings) as running:
            deliver(server, account, mails.complaint())
            assert sink.wait_for(1, timeout=90), "no acknowledgment was sent"
            sender, _rcpts, raw = sink.envelopes[0]
            assert sender == "complaints@shop.example"
            assert parseaddr(headers(raw)["From"])[1] == "complaints@shop.example"
            with running.runtime.factory() as session:
                case = session.scalars(select(Case)).one()
                inbound = session.scalars(select(InboundMail)).one()
                item = session.scalars(select(MailboxItem)).one()
            assert case.mailbox == "default" and inbound.mailbox == "default"
            # The watermark keeps the name it had before mailboxes existed.
            assert item.mailbox == settings.mailbox_name


def test_one_active_poller_per_mailbox(server: DovecotServer, tmp_path: Path,
                                       settings: Settings) -> None:
    """Two processes' pollers for each of two mailboxes: one polls each, the other waits."""
    mailboxes_settings = two_mailboxes(server, tmp_path,
                                       database_url=settings.effective_database_url)
    upgrade(mailboxes_settings.effective_database_url)
    engine = make_engine(mailboxes_settings.effective_database_url)
    factory = make_session_factory(engine)
    stop = threading.Event()
    pollers: dict[tuple[str, str], ImapPoller] = {}
    for mailbox in load_mailboxes(mailboxes_settings):
        for holder in ("host-1", "host-2"):
            pollers[(mailbox.key, holder)] = ImapPoller(
                settings=mailbox.poller_settings(mailboxes_settings), session_factory=factory,
                enqueue=lambda ids: None, holder=holder, mailbox_key=mailbox.key)
    threads = [threading.Thread(target=p.run, args=(stop,), daemon=True)
               for p in pollers.values()]
    for thread in threads:
        thread.start()
    try:
        def one_active_each() -> bool:
            for key in ("cn", "en"):
                states = sorted(pollers[(key, h)].status for h in ("host-1", "host-2"))
                if "standby" not in states or states.count("standby") != 1:
                    return False
                if not {"idle", "polling", "catching-up"} & set(states):
                    return False
            return True

        wait_until(one_active_each, 60, "one active and one standby poller per mailbox")
        with factory() as session:
            leases = {lease.name: lease.holder for lease in session.scalars(select(Lease))}
        expected = {m.ledger_name for m in load_mailboxes(mailboxes_settings)}
        assert expected <= set(leases)
        for mailbox in load_mailboxes(mailboxes_settings):
            holder = leases[mailbox.ledger_name]
            assert pollers[(mailbox.key, holder)].status != "standby"

        deliver(server, account_of(mailboxes_settings, "cn"), mails.complaint(subject="One"))
        deliver(server, account_of(mailboxes_settings, "en"), mails.complaint(subject="Two"))

        def both_recorded() -> bool:
            with factory() as session:
                return len(session.scalars(select(InboundMail)).all()) == 2

        wait_until(both_recorded, 60, "a mail in each mailbox to be recorded")
        with factory() as session:
            by_subject = {m.raw.split(b"Subject: ")[1][:3]: m.mailbox
                          for m in session.scalars(select(InboundMail))}
            items = session.scalars(select(MailboxItem)).all()
        assert by_subject == {b"One": "cn", b"Two": "en"}
        assert len(items) == 2
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        engine.dispose()


def test_poll_one_mailbox_only(server: DovecotServer, tmp_path: Path) -> None:
    settings = two_mailboxes(server, tmp_path)
    runtime = build_runtime(settings)
    try:
        assert [p.mailbox_key for p in make_pollers(runtime)] == ["cn", "en"]
        assert [p.mailbox_key for p in make_pollers(runtime, "en")] == ["en"]
    finally:
        runtime.engine.dispose()


def test_existing_cases_and_mail_belong_to_the_default_mailbox(settings: Settings) -> None:
    url = settings.effective_database_url
    upgrade(url, "0006")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO inbound_mail (sha256, raw, size, received_at, source, status,"
            " classification, detail, quarantine_reason, defects, from_address, subject,"
            " attempts, last_error) VALUES ('abc', :raw, 3, CURRENT_TIMESTAMP, '', 'received',"
            " '', '', '', '[]', '', '', 0, '')"), {"raw": b"abc"})
        conn.execute(text(
            "INSERT INTO cases (reference, status, channel, language, received_at, customer_name,"
            " customer_address, customer_email, customer_phone, email_undeliverable, subject,"
            " what_happened, demands, order_numbers, phone_candidates, taken_by, forwarded_by,"
            " attention, created_at, updated_at) VALUES ('CP-2026-000001', 'new', 'email', 'zh',"
            " CURRENT_TIMESTAMP, '', '', '', '', false, 's', 'w', '[]', '[]', '[]', 'system', '',"
            " '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT mailbox FROM inbound_mail")).scalar_one() == "default"
        assert conn.execute(text("SELECT mailbox FROM cases")).scalar_one() == "default"
    engine.dispose()
