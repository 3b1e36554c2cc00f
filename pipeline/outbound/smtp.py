"""SMTP sending with one reused connection per transport.

A transport is used by one worker thread (the runtime gives each thread its own), so
opening a connection is paid once per thread, not once per mail. A connection the
server dropped is noticed at the next send and reopened once.
"""

from __future__ import annotations

import base64
import contextlib
import smtplib
import ssl as ssl_lib
import time
from collections.abc import Sequence
from typing import Protocol

from pipeline.outbound.oauth2 import xoauth2_string
from pipeline.outbound.transport import PermanentSendError, TransientSendError

IDLE_CHECK_SECONDS = 30.0


class TokenSource(Protocol):
    def token(self) -> str: ...

    def invalidate(self) -> None: ...


class SmtpTransport:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        ssl: bool = False,
        timeout: float = 30.0,
        token_provider: TokenSource | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self._password = password
        self.starttls = starttls
        self.ssl = ssl
        self.timeout = timeout
        self._tokens = token_provider
        self.local_hostname = local_hostname
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0

    def __repr__(self) -> str:
        return f"SmtpTransport(host={self.host!r}, port={self.port}, user={self.user!r})"

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Send one mail; reconnect once if the kept connection turned out to be dead."""
        try:
            self._send_once(raw, sender, recipients)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            self._drop()
            try:
                self._send_once(raw, sender, recipients)
            except (smtplib.SMTPServerDisconnected, OSError) as err:
                self._drop()
                raise TransientSendError(f"connection lost: {err}") from err

    def _send_once(self, raw: bytes, sender: str, recipients: Sequence[str]) -> None:
        conn = self._connection()
        try:
            refused = conn.sendmail(sender, list(recipients), raw)
        except smtplib.SMTPRecipientsRefused as err:
            raise _classify_refusals(err.recipients) from err
        except smtplib.SMTPResponseException as err:
            if isinstance(err, smtplib.SMTPServerDisconnected):
                raise
            raise _by_code(err.smtp_code, err.smtp_error) from err
        except TimeoutError as err:
            self._drop()
            raise TransientSendError("the SMTP server timed out") from err
        self._last_used = time.monotonic()
        if refused:
            raise _classify_refusals(refused)

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None and time.monotonic() - self._last_used > IDLE_CHECK_SECONDS:
            try:
                self._conn.noop()
            except (smtplib.SMTPException, OSError):
                self._drop()
        if self._conn is None:
            self._conn = self._open()
            self._last_used = time.monotonic()
        return self._conn

    def _open(self) -> smtplib.SMTP:
        try:
            conn = self._connect()
            conn.ehlo()
            if self.starttls and not self.ssl:
                conn.starttls(context=ssl_lib.create_default_context())
                conn.ehlo()
            self._login(conn)
            return conn
        except smtplib.SMTPAuthenticationError as err:
            raise PermanentSendError(f"SMTP login refused ({err.smtp_code})") from err
        except (smtplib.SMTPException, OSError) as err:
            raise TransientSendError(f"cannot reach SMTP server: {type(err).__name__}") from err

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                timeout=self.timeout,
                local_hostname=self.local_hostname,
                context=ssl_lib.create_default_context(),
            )
        return smtplib.SMTP(
            self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
        )

    def _login(self, conn: smtplib.SMTP) -> None:
        if self._tokens is not None:
            self._xoauth2(conn)
        elif self.user:
            conn.login(self.user, self._password)

    def _xoauth2(self, conn: smtplib.SMTP) -> None:
        """AUTH XOAUTH2; a rejected token is refreshed once before giving up."""
        assert self._tokens is not None
        for attempt in (1, 2):
            blob = base64.b64encode(xoauth2_string(self.user, self._tokens.token()).encode())
            code, _ = conn.docmd("AUTH", "XOAUTH2 " + blob.decode("ascii"))
            if code == 334:  # the server sent an error challenge; an empty line ends it
                code, _ = conn.docmd("")
            if code == 235:
                return
            self._tokens.invalidate()
            if attempt == 2:
                raise smtplib.SMTPAuthenticationError(code, b"XOAUTH2 refused")

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
        self._drop()


def _by_code(code: int, message: bytes | str) -> Exception:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    if 500 <= code < 600:
        return PermanentSendError(f"{code} {text}")
    return TransientSendError(f"{code} {text}")


def _classify_refusals(refused: dict[str, tuple[int, bytes]]) -> Exception:
    """All recipients refused permanently -> permanent; any 4xx -> try again."""
    codes = [code for code, _ in refused.values()]
    detail = "; ".join(f"{code} {msg.decode('utf-8', 'replace')}" for code, msg in refused.values())
    if codes and all(500 <= code < 600 for code in codes):
        return PermanentSendError(detail)
    return TransientSendError(detail)
