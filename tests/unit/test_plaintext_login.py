"""A mailbox password never goes over an unencrypted line to another machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from config.plaintext import PlaintextLoginRefused, check_plaintext_login, is_loopback
from config.settings import Settings
from workers.app import build_runtime


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "127.8.0.1"))
    assert not any(is_loopback(h) for h in ("10.0.0.5", "mail.example.com", "localhost.evil"))


def test_plain_smtp_with_a_password_to_another_machine_is_refused_at_start(
        tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, smtp_host="mail.example.com", smtp_user="cs",
                        smtp_password=SecretStr("secret"), smtp_starttls=False)
    with pytest.raises(PlaintextLoginRefused, match="COMPLAINTS_SMTP_SSL or"):
        build_runtime(settings)
    assert not (tmp_path / "complaints.db").exists()  # refused before anything started


def test_plain_imap_is_refused_and_every_safe_form_allowed(tmp_path: Path) -> None:
    plain = Settings(data_dir=tmp_path, imap_host="imap.example.com", imap_user="cs",
                     imap_ssl=False, imap_starttls=False)
    with pytest.raises(PlaintextLoginRefused, match=r"IMAP password to imap\.example\.com"):
        check_plaintext_login(plain)
    for safe in (plain.model_copy(update={"imap_starttls": True}),
                 plain.model_copy(update={"imap_ssl": True}),
                 plain.model_copy(update={"imap_host": "127.0.0.1"}),
                 plain.model_copy(update={"allow_plaintext_login": True}),
                 Settings(data_dir=tmp_path, smtp_host="relay.example.com",
                          smtp_starttls=False)):  # no user: no password to send
        check_plaintext_login(safe)
