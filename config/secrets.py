"""The server's secret key, from the settings or created once in the data directory.

It signs the survey links customers click, so it must stay the same across restarts
(old links keep working) and must never be a default everyone knows. When the
settings leave it empty, a random key is written to ``DATA_DIR/secret_key`` (mode
0600) on first use; installations with several machines set ``COMPLAINTS_SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets

from config.settings import Settings

KEY_FILE = "secret_key"


def secret_key(settings: Settings) -> str:
    """The configured key, or the one kept in the data directory (created if missing)."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48))
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(f"The secret key file {path} is empty; delete it to create a new one.")
    return key
