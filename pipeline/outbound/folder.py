"""The embedded mode's outbox: each outgoing mail becomes an .eml file in a folder.

Files are named ``<UTC timestamp>-<12 hex of sha1(Message-ID)>.eml``. The timestamp is
the mail's own Date header (when it was composed), so names sort in sending order and
the same mail always gets the same name; a mail with a Message-ID already in the
folder overwrites that file. Sending twice (the crash-and-resend policy) therefore
leaves one file. Each write is atomic (temp file, fsync, ``os.replace``): a reader never
sees half a mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from pipeline.outbound.transport import PermanentSendError, TransientSendError

# Finding an existing file and replacing it must not interleave between threads, or two
# sends of one Message-ID could both create a file.
_NAMING_LOCK = threading.Lock()


class FolderTransport:
    """A :class:`~pipeline.outbound.transport.MailTransport` that writes .eml files."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FolderTransport(directory={str(self.directory)!r})"

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Write ``raw`` into the folder (envelope values are not stored: headers suffice)."""
        if not recipients:
            raise PermanentSendError("no recipients")
        stamp, digest = mail_key(raw)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with _NAMING_LOCK:
                target = self._existing(digest) or self.directory / f"{stamp}-{digest}.eml"
                _write_atomically(target, raw)
        except OSError as err:
            raise TransientSendError(f"cannot write to the outbox folder ({err.strerror})") from err

    def close(self) -> None:
        """Nothing to close: each send is a complete file."""

    def _existing(self, digest: str) -> Path | None:
        matches = sorted(self.directory.glob(f"*-{digest}.eml"))
        return matches[0] if matches else None


def mail_key(raw: bytes) -> tuple[str, str]:
    """(UTC timestamp, 12 hex digest of the Message-ID) that name the file for ``raw``.

    A mail without a Message-ID is named by the digest of its bytes instead, so two
    different such mails never overwrite each other.
    """
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    message_id = "".join(str(headers.get("Message-ID", "")).split())
    source = message_id.encode("utf-8", "surrogateescape") if message_id else raw
    digest = hashlib.sha1(source, usedforsecurity=False).hexdigest()[:12]
    return _timestamp(str(headers.get("Date", ""))), digest


def _timestamp(date_header: str) -> str:
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _write_atomically(target: Path, raw: bytes) -> None:
    """Write to a temp file in the same folder, flush it to disk, then rename over."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(raw)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); not possible on Windows, so best effort."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
