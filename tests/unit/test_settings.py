"""Settings: environment over TOML file over defaults, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import load_settings


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)

    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'complaints.db').resolve()}"
    assert not settings.uses_imap and not settings.uses_smtp and settings.redis_url == ""
    assert settings.inbox_dir == tmp_path / "mail" / "inbox"
    assert settings.phone_region == "CN"


def test_environment_overrides_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "complaints.toml"
    toml.write_text('imap_host = "imap.toml.example"\nimap_port = 1143\nphone_region = "gb"\n')
    monkeypatch.setenv("COMPLAINTS_CONFIG_FILE", str(toml))
    monkeypatch.setenv("COMPLAINTS_IMAP_PORT", "2143")

    settings = load_settings()

    assert settings.imap_host == "imap.toml.example"
    assert settings.imap_port == 2143
    assert settings.phone_region == "GB"


def test_passwords_and_tokens_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_IMAP_PASSWORD", "hunter2-imap")
    monkeypatch.setenv("COMPLAINTS_OAUTH2_REFRESH_TOKEN", "refresh-secret")

    settings = load_settings()

    assert "hunter2-imap" not in repr(settings)
    assert "refresh-secret" not in repr(settings)
    assert settings.imap_password.get_secret_value() == "hunter2-imap"


def test_idle_interval_cannot_exceed_ten_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_IMAP_IDLE_SECONDS", "3600")

    with pytest.raises(ValueError, match="imap_idle_seconds"):
        load_settings()
