"""A real Dovecot IMAP server for tests and benchmarks, with its own config in a temp dir.

It never touches the system's Dovecot: every path (base_dir, state, logs, mail) lives
in the temp dir, and it listens on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

from tests.support.services import unavailable

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
mail_uid = mail
mail_gid = mail
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 1 secs
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%u
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DovecotServer:
    """Start with ``with DovecotServer() as server:``; one user, an empty INBOX."""

    def __init__(self, user: str = "complaints", password: str = "secret") -> None:
        self.host = "127.0.0.1"
        self.user = user
        self.password = password
        self.port = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        assert self._tmp is not None
        return Path(self._tmp.name)

    def start(self) -> DovecotServer:
        if not os.path.exists(DOVECOT):
            raise FileNotFoundError("dovecot is not installed (apt-get install dovecot-imapd)")
        self._tmp = tempfile.TemporaryDirectory(prefix="dovecot-")
        os.chmod(self.root, 0o755)
        for sub in ("run", "state", "log", "mail"):
            (self.root / sub).mkdir()
        shutil.chown(self.root / "mail", "mail", "mail")
        (self.root / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        self._launch(_free_port())
        return self

    def _launch(self, port: int) -> None:
        self.port = port
        conf = self.root / "dovecot.conf"
        conf.write_text(CONFIG.format(root=self.root, port=port))
        self._proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_listening()

    def _wait_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                error = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {error} {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen within {timeout}s: {self.log()}")

    def log(self) -> str:
        path = self.root / "log" / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def stop(self) -> None:
        """Stop the server process (mail stays on disk, so ``restart`` brings it back)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self._launch(self.port)

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Helpers for tests ----------------------------------------------------------------

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> int | None:
        """Deliver a mail the way an MTA would; returns its UID when the server says."""
        with self.client() as client:
            response = client.append(folder, raw)
        text = response.decode() if isinstance(response, bytes) else str(response)
        if "APPENDUID" in text:
            return int(text.split("APPENDUID")[1].split()[1].rstrip("]"))
        return None

    def list_uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def flags(self, uid: int, folder: str = "INBOX") -> tuple[bytes, ...]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return tuple(client.get_flags([uid]).get(uid, ()))

    def folder_messages(self, folder: str = "INBOX") -> list[bytes]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])

    def rebuild_folder(self, folder: str = "INBOX") -> None:
        """Give the folder a new UIDVALIDITY with the same mail, as a restored mailbox has."""
        messages = self.folder_messages(folder)
        with self.client() as client:
            temp = "Rebuild-Temp"
            client.create_folder(temp)
            for raw in messages:
                client.append(temp, raw)
            if folder.upper() == "INBOX":
                client.select_folder("INBOX")
                uids = client.search("ALL")
                if uids:
                    client.delete_messages(uids)
                    client.expunge()
                client.close_folder()
                self._reset_inbox_uidvalidity()
            else:
                client.delete_folder(folder)
                client.create_folder(folder)
        with self.client() as client:
            client.select_folder(temp)
            for raw in messages:
                client.append(folder, raw)
            client.close_folder()
            client.delete_folder(temp)

    def _reset_inbox_uidvalidity(self) -> None:
        """INBOX cannot be deleted over IMAP; drop its index so Dovecot starts it afresh."""
        self.stop()
        maildir = self.root / "mail" / self.user
        for name in os.listdir(maildir):
            if name.startswith("dovecot-uidlist") or name.startswith("dovecot.index"):
                os.remove(maildir / name)
        self._launch(self.port)


def require_dovecot() -> None:
    if not os.path.exists(DOVECOT):
        unavailable("Dovecot (apt-get install dovecot-imapd)")
