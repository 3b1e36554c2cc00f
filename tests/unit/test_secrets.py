"""The secret key: configured, or created once in the data directory and kept."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from config.secrets import KEY_FILE, secret_key
from config.settings import Settings


def test_configured_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("from-env"))
    assert secret_key(settings) == "from-env"
    assert not (tmp_path / KEY_FILE).exists()


def test_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = secret_key(settings)
    assert len(first) >= 48 and secret_key(settings) == first
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600
