"""The server's secret key, from the settings or created once in the data directory.

It signs the survey links customers click, so it must stay the same across restarts
(old links keep working) and must never be a default everyone knows. When the
settings leave it empty, a random key is written to ``DATA_DIR/secret_key`` (mode
0600) on first use; installations with several machines set ``COMPLAINTS_SECRET_KEY``.

The file appears whole or not at all: the key is written to a private temporary file
first and then hard-linked into place, which fails if another process got there
first. So a process starting at the same moment never reads a half-written (or
empty) key, and two processes never end up signing with different keys.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from config.settings import Settings

KEY_FILE = "secret_key"


def secret_key(settings: Settings) -> str:
    """The configured key, or the one kept in the data directory (created if missing)."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured
    path = settings.data_dir / KEY_FILE
    try:
        found = path.stat()
    except FileNotFoundError:
        _create(path)
        found = path.stat()
    # Every letter signs a link: read the file again only when it was replaced.
    version = (found.st_ino, found.st_mtime_ns, found.st_size)
    known = _READ.get(path)
    if known is not None and known[0] == version:
        return known[1]
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(f"The secret key file {path} is empty; delete it to create a new one.")
    _READ[path] = (version, key)
    return key


_READ: dict[Path, tuple[tuple[int, int, int], str]] = {}
"""The key last read from each file, with the file's identity when it was read."""


def _create(path: Path) -> None:
    """Write a new key to a 0600 temporary file, then link it into place (never half there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: use theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
