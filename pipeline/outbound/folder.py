"""The embedded mode's outbox: each outgoing mail becomes an .eml file in a folder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path


class FolderTransport:
    """Writes mail atomically, named by Message-ID, so sending twice overwrites one file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = BytesHeaderParser(policy=compat32).parsebytes(raw).get("Message-ID", "")
        digest = hashlib.sha1(str(message_id).encode("utf-8", "replace")).hexdigest()[:12]
        existing = sorted(self.directory.glob(f"*-{digest}.eml"))
        if existing:
            target = existing[0]
        else:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = self.directory / f"{stamp}-{digest}.eml"
        tmp = self.directory / f".{target.name}.tmp"
        tmp.write_bytes(raw)
        os.replace(tmp, target)

    def close(self) -> None:
        """Nothing to close: each send is a complete file."""
