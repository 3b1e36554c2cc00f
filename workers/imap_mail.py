"""Fetching and marking mail on an IMAP server, for the poller.

- :class:`MailFetcher` fetches raw mail with ``BODY.PEEK[]`` in batches. A mail the
  server fails to deliver is fetched alone, retried on later passes, and after
  ``MAX_FETCH_ATTEMPTS`` given up: left on the server unmarked and logged as an
  error, so one broken mail never stops the mailbox.
- :class:`ServerMarker` marks mail after it is committed: MOVE to the done folder,
  or COPY + ``UID EXPUNGE``, or our keyword. It never deletes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

log = logging.getLogger(__name__)

RECORDED_KEYWORD = "$ComplaintRecorded"
MAX_FETCH_ATTEMPTS = 3

# After one of these the connection is unusable: close it and reconnect. Any other
# IMAPClientError is a refused command on a connection that still works.
BROKEN_CONNECTION = (OSError, EOFError, IMAPClientAbortError)

MailKey = tuple[int, int]  # (UIDVALIDITY, UID)


@dataclass
class Fetched:
    """Raw mails by UID, and the UIDs that failed this time but will be tried again."""

    bodies: dict[int, bytes] = field(default_factory=dict)
    retry: list[int] = field(default_factory=list)


class MailFetcher:
    """Fetch raw mail; remember across passes which mails fail, to isolate them."""

    def __init__(self, *, max_mail_bytes: int) -> None:
        self.max_mail_bytes = max_mail_bytes
        self._attempts: dict[MailKey, int] = {}
        self._suspects: set[MailKey] = set()  # fetched alone: they failed, or their batch did
        self._given_up: set[MailKey] = set()

    def fetch(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> Fetched:
        """Fetch these mails, small ones together and the rest one by one.

        Always ``BODY.PEEK[]``: plain ``BODY[]`` would set \\Seen on people's mail.
        Raises a ``BROKEN_CONNECTION`` error when the server drops the line.
        """
        uids = [uid for uid in uids if (uidvalidity, uid) not in self._given_up]
        alone = [uid for uid in uids if (uidvalidity, uid) in self._suspects]
        together = [uid for uid in uids if uid not in alone]
        result = Fetched()
        if together:
            sizes = self._sizes(client, uidvalidity, together)
            limit = self.max_mail_bytes
            # A mail over the limit (or of unknown size) comes alone, not with 49 others.
            small = [uid for uid in together if sizes.get(uid, limit + 1) <= limit]
            result.bodies = self._fetch_many(client, uidvalidity, small)
            alone += [uid for uid in together if uid not in result.bodies]
        for uid in sorted(alone):
            raw = self._fetch_alone(client, uidvalidity, uid)
            if raw is not None:
                result.bodies[uid] = raw
            elif (uidvalidity, uid) not in self._given_up:
                result.retry.append(uid)
        return result

    def _sizes(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> dict[int, int]:
        fetched = self._fetch_items(client, uidvalidity, uids, "RFC822.SIZE")
        return {
            uid: int(fetched[uid][b"RFC822.SIZE"])
            for uid in uids
            if b"RFC822.SIZE" in fetched.get(uid, {})
        }

    def _fetch_many(
        self, client: IMAPClient, uidvalidity: int, uids: list[int]
    ) -> dict[int, bytes]:
        if not uids:
            return {}
        return _bodies(self._fetch_items(client, uidvalidity, uids, "BODY.PEEK[]"), uids)

    def _fetch_items(
        self, client: IMAPClient, uidvalidity: int, uids: list[int], item: str
    ) -> dict[int, dict[bytes, Any]]:
        """One FETCH for many mails; if it is refused they are fetched one by one."""
        try:
            fetched: dict[int, dict[bytes, Any]] = client.fetch(uids, [item])
            return fetched
        except BROKEN_CONNECTION:
            # One unreadable mail can make a server drop the connection (Dovecot does):
            # after reconnecting, fetch these alone, so only that mail fails again.
            self._suspects.update((uidvalidity, uid) for uid in uids)
            raise
        except IMAPClientError as err:
            log.warning(
                "FETCH refused; fetching one by one",
                extra={"item": item, "uids": uid_ranges(uids), **error_fields(err)},
            )
            return {}

    def _fetch_alone(self, client: IMAPClient, uidvalidity: int, uid: int) -> bytes | None:
        key = (uidvalidity, uid)
        try:
            raw = _bodies(client.fetch([uid], ["BODY.PEEK[]"]), [uid]).get(uid)
        except BROKEN_CONNECTION:
            self._failed(key)
            raise
        except IMAPClientError:
            raw = None
        if raw is None:
            self._failed(key)
            return None
        self._attempts.pop(key, None)
        self._suspects.discard(key)
        return raw

    def _failed(self, key: MailKey) -> None:
        attempts = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempts
        # From now on it comes alone: one mail failing twice in a session makes some
        # servers (Dovecot) drop the connection, and its batch-mates should not wait.
        self._suspects.add(key)
        if attempts < MAX_FETCH_ATTEMPTS:
            log.warning("could not fetch a mail; retrying later", extra={"uid": key[1]})
            return
        # It stays on the server, unmarked, where staff can see it: skipped, not lost.
        log.error(
            "giving up on a mail the server cannot deliver; it stays on the server unmarked",
            extra={"uidvalidity": key[0], "uid": key[1], "attempts": attempts},
        )
        self._given_up.add(key)
        self._suspects.discard(key)
        del self._attempts[key]


class ServerMarker:
    """Marks recorded mail on the server, only ever after the ledger commit."""

    def __init__(self, *, done_folder: str) -> None:
        self.done_folder = done_folder
        self._done_folder_ready = False
        self._warned: set[str] = set()

    def connected(self) -> None:
        """Forget what was known about the last connection's folders."""
        self._done_folder_ready = False

    def check_folder(self, select_info: dict[bytes, Any]) -> None:
        """Warn once when the server cannot keep our keyword (Exchange, for one)."""
        permanent = select_info.get(b"PERMANENTFLAGS", (b"\\*",))
        if not self.done_folder and b"\\*" not in permanent:
            self._warn_once(
                "keywords",
                "the server keeps no custom keywords: recorded mail is not marked on it; "
                "set imap_done_folder to move it instead",
            )

    def mark(self, client: IMAPClient, uids: list[int]) -> None:
        """Move to the done folder, or add our keyword; never delete."""
        done = self.done_folder
        if done and client.has_capability("MOVE"):
            self._ensure_done_folder(client)
            client.move(uids, done)
        elif done and client.has_capability("UIDPLUS"):
            self._ensure_done_folder(client)
            client.copy(uids, done)
            client.add_flags(uids, [DELETED], silent=True)
            # UID EXPUNGE removes exactly these UIDs; a plain EXPUNGE would also purge
            # mail that other clients marked \Deleted. A crash before it leaves the mail
            # unsettled, so the next pass copies it again: a duplicate, never a loss.
            client.uid_expunge(uids)
        else:
            if done:
                self._warn_once(
                    "no-move", "the server has neither MOVE nor UIDPLUS: flagging, not moving"
                )
            client.add_flags(uids, [RECORDED_KEYWORD], silent=True)

    def _ensure_done_folder(self, client: IMAPClient) -> None:
        if self._done_folder_ready:
            return
        if not client.folder_exists(self.done_folder):
            try:
                client.create_folder(self.done_folder)
            except BROKEN_CONNECTION:
                raise
            except IMAPClientError:
                if not client.folder_exists(self.done_folder):  # else another poller made it
                    raise
            log.info("created the done folder")
        self._done_folder_ready = True

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)


def _bodies(fetched: dict[int, dict[bytes, Any]], uids: list[int]) -> dict[int, bytes]:
    """The raw mails of a FETCH answer, for the UIDs asked (not unsolicited updates)."""
    wanted = set(uids)
    bodies: dict[int, bytes] = {}
    for uid, data in fetched.items():
        body = data.get(b"BODY[]")
        if uid in wanted and isinstance(body, bytes):
            bodies[uid] = body
    return bodies


def error_fields(err: BaseException) -> dict[str, str]:
    """Log fields for an error: its type only, as messages can quote data or secrets."""
    return {"error": type(err).__name__}


def uid_ranges(uids: list[int], limit: int = 200) -> str:
    """Compact "1:5,9,12:14" form of UIDs (or ids) for logs, cut at ``limit`` characters."""
    runs: list[list[int]] = []
    for uid in sorted(set(uids)):
        if runs and runs[-1][1] == uid - 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    text = ",".join(str(first) if first == last else f"{first}:{last}" for first, last in runs)
    return text if len(text) <= limit else text[: limit - 3] + "..."
