"""SMTP sending with one reused connection per transport.

Opening a connection (TCP, TLS, AUTH) costs more than sending an acknowledgment, so a
transport keeps its connection and reuses it. Threading: a lock makes ``send`` safe to
call from several threads, but they would queue on the one connection, so the runtime
gives each worker thread its own transport (``workers.runtime.Runtime.transport``).

A kept connection may have been dropped by the server meanwhile: after 30 s idle it is
checked with NOOP before use, and a send that finds it dead reconnects once and tries
again. That retry can, rarely, deliver a mail twice (the server took the data, then the
connection broke before its answer); the Message-ID is the same, which is our policy.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl as ssl_lib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from config.plaintext import refuse_plaintext
from pipeline.outbound.oauth2 import TokenError, xoauth2_string
from pipeline.outbound.transport import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 30.0


class TokenSource(Protocol):
    """What XOAUTH2 needs from :class:`pipeline.outbound.oauth2.TokenProvider`."""

    def token(self) -> str: ...

    def invalidate(self, token: str | None = None) -> None: ...


class _Disconnected(Exception):
    """The connection broke during a send; the caller may reconnect and retry once."""


class SmtpTransport:
    """A :class:`~pipeline.outbound.transport.MailTransport` over SMTP (STARTTLS or TLS)."""

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
        clock: Callable[[], float] = time.monotonic,
        allow_plaintext_login: bool = False,
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
        self._clock = clock
        self.allow_plaintext_login = allow_plaintext_login
        self._lock = threading.Lock()
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0

    def __repr__(self) -> str:
        auth = "xoauth2" if self._tokens else ("password" if self.user else "none")
        return (
            f"SmtpTransport(host={self.host!r}, port={self.port}, user={self.user!r}, auth={auth})"
        )

    def send(self, raw: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Send one mail; reconnect once if the connection turns out to be dead."""
        sender, recipients = _envelope(sender, recipients)
        with self._lock:
            try:
                self._send_once(raw, sender, recipients)
            except _Disconnected:
                log.info("SMTP connection lost, reconnecting", extra={"smtp_host": self.host})
                self._drop()
                try:
                    self._send_once(raw, sender, recipients)
                except _Disconnected as err:
                    self._drop()
                    raise TransientSendError("the SMTP server closed the connection") from err

    def close(self) -> None:
        """Say QUIT and close; the next send opens a new connection."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._conn.quit()
            self._drop()

    def _send_once(self, raw: bytes, sender: str, recipients: Sequence[str]) -> None:
        conn = self._connection()
        try:
            refused = conn.sendmail(sender, list(recipients), raw)
        except smtplib.SMTPServerDisconnected as err:
            raise _Disconnected from err
        except (smtplib.SMTPException, OSError, ValueError) as err:
            raise self._failure(conn, err) from err
        finally:
            self._last_used = self._clock()
        if refused:  # some recipients took it: the mail is sent, retrying would duplicate it
            log.warning("SMTP server refused some recipients", extra={"refused": len(refused)})

    def _failure(self, conn: smtplib.SMTP, err: Exception) -> Exception:
        """Classify a failed transaction; keep the connection only if it is still sound."""
        if isinstance(err, ConnectionError):
            return _Disconnected()
        answered = isinstance(err, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)
        if not answered or conn.sock is None:
            # smtplib sent RSET after a refusal, so that session is reusable; after
            # anything else (timeout, TLS error, bad address mid-dialogue) it is not.
            self._drop()
        if isinstance(err, smtplib.SMTPRecipientsRefused):
            return _refusal_error(err.recipients)
        if isinstance(err, smtplib.SMTPResponseException):
            return _error_for_code(err.smtp_code, err.smtp_error)
        if isinstance(err, ValueError):  # non-ASCII address, newline in a command
            return PermanentSendError("the envelope cannot be sent over SMTP")
        return TransientSendError(f"SMTP send failed ({type(err).__name__})")

    def _connection(self) -> smtplib.SMTP:
        idle = self._clock() - self._last_used
        if self._conn is not None and idle > IDLE_CHECK_SECONDS and not _alive(self._conn):
            self._drop()
        if self._conn is None:
            self._conn = self._open()
            self._last_used = self._clock()
        return self._conn

    def _open(self) -> smtplib.SMTP:
        try:
            conn = self._connect()
        except (smtplib.SMTPException, OSError) as err:
            raise TransientSendError(
                f"cannot connect to the SMTP server ({_describe(err)})"
            ) from err
        try:
            self._greet(conn)
            self._login(conn)
        except smtplib.SMTPAuthenticationError as err:
            _close_quietly(conn)
            # Transient on purpose: providers answer 535 during their own outages too, and
            # retrying with backoff gives staff time to fix credentials before mail fails.
            raise TransientSendError(f"SMTP login refused ({err.smtp_code})") from err
        except (smtplib.SMTPException, OSError, TokenError, UnicodeError) as err:
            _close_quietly(conn)
            raise TransientSendError(f"SMTP session setup failed ({_describe(err)})") from err
        return conn

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=ssl_lib.create_default_context(),
            )
        return smtplib.SMTP(
            self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
        )

    def _greet(self, conn: smtplib.SMTP) -> None:
        """EHLO, then STARTTLS when asked: refused if not offered, never silently plain."""
        conn.ehlo()
        if self.starttls and not self.ssl:
            conn.starttls(context=ssl_lib.create_default_context())
            conn.ehlo()

    def _login(self, conn: smtplib.SMTP) -> None:
        if self._tokens is not None or self.user:  # never a secret over a plain line
            refuse_plaintext("SMTP", self.host, encrypted=self.ssl or self.starttls,
                             allowed=self.allow_plaintext_login)
        if self._tokens is not None:
            self._xoauth2(conn, self._tokens)
        elif self.user:
            conn.login(self.user, self._password)

    def _xoauth2(self, conn: smtplib.SMTP, tokens: TokenSource) -> None:
        """AUTH XOAUTH2; a rejected token is invalidated and a fresh one tried once.

        On failure the server sends a 334 challenge holding a JSON error; the client must
        answer it with an empty line, after which the server says 535 (RFC 4954 flow,
        documented by Google and Microsoft). ``smtplib.SMTP.auth`` drives that exchange.
        """
        for attempt in (1, 2):
            token = tokens.token()
            initial = xoauth2_string(self.user, token)

            def respond(challenge: bytes | None = None, initial: str = initial) -> str:
                return initial if challenge is None else ""

            try:
                conn.auth("XOAUTH2", respond, initial_response_ok=True)
                return
            except smtplib.SMTPAuthenticationError:
                tokens.invalidate(token)
                if attempt == 2:
                    raise

    def _drop(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
        self._conn = None


def _alive(conn: smtplib.SMTP) -> bool:
    try:
        return conn.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close_quietly(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


def _describe(err: BaseException) -> str:
    """Error text for messages: the type, and the reason for OS errors (no credentials)."""
    if isinstance(err, OSError) and err.strerror:
        return f"{type(err).__name__}: {err.strerror}"
    return type(err).__name__


def _envelope(sender: str, recipients: Sequence[str]) -> tuple[str, list[str]]:
    """Check the envelope before touching the connection; IDN domains go out as punycode.

    We do not use SMTPUTF8, so a non-ASCII local part cannot be sent at all: permanent.
    """
    if not recipients:
        raise PermanentSendError("no recipients")
    return _envelope_address(sender, allow_empty=True), [_envelope_address(r) for r in recipients]


def _envelope_address(address: str, *, allow_empty: bool = False) -> str:
    if not address and allow_empty:  # the null reverse-path <> of bounces
        return address
    local, _, domain = address.rpartition("@")
    if not local or not domain or not address.isprintable() or " " in address:
        raise PermanentSendError("an envelope address is malformed")
    if not local.isascii():
        raise PermanentSendError("an envelope address has a non-ASCII local part")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as err:
        raise PermanentSendError("an envelope address has an invalid domain") from err


def _reply_text(message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return " ".join(text.split())[:300]


def _error_for_code(code: int, message: bytes | str) -> Exception:
    if 500 <= code < 600:
        return PermanentSendError(f"{code} {_reply_text(message)}")
    return TransientSendError(f"{code} {_reply_text(message)}")


def _refusal_error(refused: dict[str, tuple[int, bytes]]) -> Exception:
    """All recipients refused permanently → permanent; any 4xx among them → try again."""
    codes = [code for code, _ in refused.values()]
    detail = "; ".join(f"{code} {_reply_text(msg)}" for code, msg in refused.values())
    if codes and all(500 <= code < 600 for code in codes):
        return PermanentSendError(detail)
    return TransientSendError(detail or "recipients refused")
