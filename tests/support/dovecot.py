"""A real Dovecot IMAP server for tests and benchmarks, with its own config in a temp dir.

It never touches the system's Dovecot: every path (base_dir, state, logs, mail) lives
in the temp dir, and it listens on a free loopback port. It runs ``dovecot -F`` in its
own process group, so :meth:`DovecotServer.kill` can crash it the hard way (master and
children at once) and :meth:`DovecotServer.restart` can bring it back with the mail.

Outside pytest::

    with DovecotServer() as server:
        server.append(raw)

In pytest, the ``dovecot`` fixture gives each test a fresh user (an empty INBOX) on a
server shared by the module; tests that kill or reconfigure a server start their own.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.support.services import unavailable

DOVECOT_BINARY = shutil.which("dovecot") or "/usr/sbin/dovecot"
SPARE_USERS = 100
MAIL_USER = "mail"  # Dovecot refuses to store mail as root; this system user owns the maildirs.

# ``xoauth2`` is accepted too: Dovecot then checks the bearer token like a password, which
# is enough to test a client's token handling without an OAuth2 server.
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
# No 2 s pause after a failed login (the per-IP penalty on the next one stays).
auth_failure_delay = 0
# inotify wakes IDLE (Dovecot then waits 0.5 s to gather changes); this is the fallback.
mailbox_idle_check_interval = 1 secs
{capability}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DovecotServer:
    """One Dovecot instance; ``user``/``password`` name the account the helpers use.

    ``capabilities`` replaces the CAPABILITY list announced after login (Dovecot's
    ``imap_capability``), to test clients against servers without IDLE, MOVE, ...;
    ``extra_config`` is appended to the config as it is.
    """

    def __init__(
        self,
        user: str = "complaints",
        password: str = "secret",
        *,
        capabilities: str | None = None,
        extra_config: str = "",
    ) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.user = user
        self.password = password
        self.capabilities = capabilities
        self.extra_config = extra_config
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._spare_users: list[tuple[str, str]] = []

    @property
    def root(self) -> Path:
        if self._tmp is None:
            raise RuntimeError("the server is not started")
        return Path(self._tmp.name)

    # Life cycle ------------------------------------------------------------------------

    def start(self) -> DovecotServer:
        """Create the temp dir, config and user, and start listening on a free port."""
        if not os.path.exists(DOVECOT_BINARY):
            raise FileNotFoundError("dovecot is not installed (apt-get install dovecot-imapd)")
        self._tmp = tempfile.TemporaryDirectory(prefix="dovecot-test-")
        self.root.chmod(0o755)  # the mail user must reach its home below
        for sub in ("run", "state", "log", "mail"):
            (self.root / sub).mkdir()
        shutil.chown(self.root / "mail", MAIL_USER, MAIL_USER)
        (self.root / "users").write_text("")
        self.add_user(self.user, self.password)
        self._add_spare_users(SPARE_USERS)
        self.port = free_port()
        self._write_config()
        self._launch()
        return self

    def stop(self) -> None:
        """Stop the server cleanly and delete its temp dir (all mail with it)."""
        self.shutdown()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def shutdown(self) -> None:
        """Stop the server process cleanly; mail stays on disk for :meth:`restart`."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def kill(self) -> None:
        """Crash the server: SIGKILL to the master and every child; mail stays on disk."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self) -> None:
        """Start again on the same port with the same mail (after a kill or shutdown)."""
        self.shutdown()
        self._launch()

    def ensure_running(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._launch()

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_config(self) -> None:
        capability = f"imap_capability = {self.capabilities}" if self.capabilities else ""
        text = CONFIG.format(root=self.root, port=self.port, capability=capability)
        text += self.extra_config + "\n"
        (self.root / "dovecot.conf").write_text(text)

    def _launch(self) -> None:
        stderr = (self.root / "log" / "stderr.log").open("ab")
        with stderr:
            self._proc = subprocess.Popen(
                [DOVECOT_BINARY, "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,  # its own process group, for kill()
            )
        self._wait_until_listening()

    def _wait_until_listening(self, timeout: float = 20.0) -> None:
        """Poll the port until the greeting arrives; fail fast if Dovecot exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.02)  # polling interval while the server binds its port
        raise RuntimeError(f"dovecot did not listen within {timeout}s: {self.log()}")

    def log(self) -> str:
        """The tail of Dovecot's logs, for error messages."""
        parts = []
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    # Accounts --------------------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        """Add an account (Dovecot re-reads the passwd-file when it changes)."""
        if ":" in user + password or "\n" in user + password:
            raise ValueError("user and password must not contain ':' or newlines")
        entry = pwd.getpwnam(MAIL_USER)
        home = self.root / "mail" / user
        with (self.root / "users").open("a") as users:
            users.write(f"{user}:{{PLAIN}}{password}:{entry.pw_uid}:{entry.pw_gid}::{home}::\n")

    def use_fresh_user(self) -> str:
        """Switch the helpers (and ``user``/``password``) to a new account with no mail."""
        if not self._spare_users:
            self._add_spare_users(SPARE_USERS)
            self._wait_until_user_known(self._spare_users[0])
        self.user, self.password = self._spare_users.pop(0)
        return self.user

    def _add_spare_users(self, count: int) -> None:
        # Dovecot looks at a changed passwd-file at most once a second, so accounts are
        # made ahead of time: a test then never waits for its user to become known.
        for _ in range(count):
            user, password = f"user-{secrets.token_hex(4)}", secrets.token_hex(8)
            self.add_user(user, password)
            self._spare_users.append((user, password))

    def _wait_until_user_known(self, account: tuple[str, str], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with IMAPClient(self.host, port=self.port, ssl=False, timeout=10) as client:
                    client.login(*account)
                return
            except IMAPClient.Error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # polling interval until Dovecot re-reads the passwd-file

    # Helpers acting as another mail client ---------------------------------------------

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """Deliver a mail the way an MTA would; returns its UID (from APPENDUID)."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw)
            text = response.decode() if isinstance(response, bytes) else str(response)
            if "APPENDUID" in text:
                return int(text.split("APPENDUID")[1].split()[1].rstrip("]"))
            client.select_folder(folder, readonly=True)
            return int(max(client.search("ALL")))

    def list_uids(self, folder: str = "INBOX") -> list[int]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def flags(self, folder: str, uid: int) -> tuple[bytes, ...]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return tuple(client.get_flags([uid]).get(uid, ()))

    def folder_messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every mail in a folder, by UID, without marking them read."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [bytes(fetched[uid][b"BODY[]"]) for uid in sorted(fetched)]

    def message_count(self) -> int:
        """How many mails the account holds across all its folders."""
        with self.client() as client:
            names = [name for _flags, _delim, name in client.list_folders()]
            return sum(int(client.folder_status(n, ["MESSAGES"])[b"MESSAGES"]) for n in names)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])

    def add_flags(self, folder: str, uids: list[int], flags: list[bytes]) -> None:
        with self.client() as client:
            client.select_folder(folder)
            client.add_flags(uids, flags)

    def expunge(self, folder: str, uids: list[int]) -> None:
        """Delete mail for good, as staff cleaning up a mailbox would."""
        with self.client() as client:
            client.select_folder(folder)
            client.delete_messages(uids)
            client.uid_expunge(uids)

    def reset_uidvalidity(self, folder: str = "INBOX") -> int:
        """Give a folder a new UIDVALIDITY and renumber its mail from 1, as a restore does.

        Dovecot rebuilds a maildir's UID list when it is gone, taking the next value of
        its per-user UIDVALIDITY counter. Call this with no session open on the folder.
        """
        before = self.uidvalidity(folder)
        maildir = self.maildir(folder)
        for entry in os.listdir(maildir):
            if entry.startswith(("dovecot-uidlist", "dovecot.index")):
                (maildir / entry).unlink()
        after = self.uidvalidity(folder)
        if after == before:
            raise RuntimeError("Dovecot kept the old UIDVALIDITY")
        return after

    def maildir(self, folder: str = "INBOX") -> Path:
        """Where a folder's mail files live (Maildir++ layout)."""
        base = self.root / "mail" / self.user / "Maildir"
        return base if folder.upper() == "INBOX" else base / f".{folder}"

    def mail_file(self, folder: str, uid: int) -> Path:
        """The file holding one mail, found through Dovecot's UID list."""
        maildir = self.maildir(folder)
        for line in (maildir / "dovecot-uidlist").read_text().splitlines()[1:]:
            number, _, name = line.partition(" :")
            if number.split()[0] == str(uid):
                for sub in ("cur", "new"):
                    found = [p for p in (maildir / sub).glob(f"{name}*") if p.is_file()]
                    if found:
                        return found[0]
        raise FileNotFoundError(f"no mail file for UID {uid} in {folder}")


def require_or_skip(binary_path: str = DOVECOT_BINARY) -> None:
    """Skip when Dovecot is missing on a laptop; fail when CI is set (it must be there)."""
    if not os.path.exists(binary_path):
        unavailable(f"Dovecot at {binary_path} (apt-get install dovecot-imapd)")


def require_dovecot() -> None:
    require_or_skip(DOVECOT_BINARY)


@pytest.fixture(scope="module", name="dovecot_server")
def dovecot_server_fixture() -> Iterator[DovecotServer]:
    """One Dovecot for a test module; use ``dovecot`` for a clean account on it."""
    require_or_skip(DOVECOT_BINARY)
    with DovecotServer() as server:
        yield server


@pytest.fixture(name="dovecot")
def dovecot_fixture(dovecot_server: DovecotServer) -> DovecotServer:
    """The module's Dovecot, switched to a fresh user: an empty INBOX for each test."""
    dovecot_server.ensure_running()
    dovecot_server.use_fresh_user()
    return dovecot_server
