"""A private PostgreSQL cluster a test may crash and restart (never the shared server).

It lives in a temporary directory owned by the ``postgres`` user, listens on a free
port on 127.0.0.1 only, and is removed afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.services import unavailable
from tests.support.smtp_sink import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        unavailable(f"PostgreSQL server binaries ({name})")
    return found[-1]


class PrivatePostgres:
    """``with PrivatePostgres() as pg:`` then ``pg.url``, ``pg.crash()``, ``pg.start()``."""

    def __init__(self) -> None:
        if shutil.which("runuser") is None or os.geteuid() != 0:
            unavailable("root with runuser, to run a private PostgreSQL as user postgres")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="complaints-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/complaints"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def __enter__(self) -> PrivatePostgres:
        shutil.chown(self.dir, user="postgres", group="postgres")
        self._as_postgres(
            _bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"
        )
        self.start()
        self._as_postgres(
            _bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "complaints",
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c max_connections=200"
        )
        self._as_postgres(
            _bin("pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.dir / "server.log"), "-w", "start",
        )

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, clients cut off."""
        self._as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
