"""The mailboxes we take complaints from and answer from, read from a TOML file.

Companies run several mailboxes (complaints@, service@, one per brand or country),
and a customer must hear back from the address they wrote to. The setting
``mailboxes_file`` names a TOML file listing them; each has its own IMAP account (or a
local folder), From address and display name, language and optional department.
Without the file the single-mailbox settings (``imap_*``, ``from_address``,
``from_name``) are a one-entry list whose key is ``default``, so an installation that
never heard of mailboxes keeps working unchanged.

A malformed file stops the program at start-up with a message in English and Chinese
naming the file, the mailbox and the problem: answering customers from the wrong
address, or not watching a mailbox at all, is worse than not starting.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from config.settings import Settings, inbox_under

log = logging.getLogger(__name__)

DEFAULT_KEY = "default"
_KEY = r"^[a-z0-9][a-z0-9_-]{0,31}$"
_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


class MailboxesFileError(ValueError):
    """The mailboxes file cannot be used; the message says which file and why (en + zh)."""

    def __init__(self, path: Path | str, english: str, chinese: str) -> None:
        super().__init__(f"Mailboxes file {path}: {english}\n邮箱配置文件 {path}：{chinese}")
        self.english = english
        self.chinese = chinese


# The file, as written -------------------------------------------------------------------


class _ImapEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(default=993, ge=1, le=65535)
    user: str = Field(min_length=1)
    password: SecretStr = SecretStr("")
    password_env: str = ""
    folder: str = "INBOX"
    ssl: bool = True
    starttls: bool = False
    done_folder: str = ""


class _MailboxEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=_KEY)
    name: str = ""
    from_address: str
    from_name: str = ""
    language: Literal["zh", "en", ""] = ""
    department: str = ""
    imap: _ImapEntry | None = None
    folder: str = ""


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mailbox: list[_MailboxEntry] = Field(min_length=1)


# What the program uses --------------------------------------------------------------------


@dataclass(frozen=True)
class ImapAccess:
    """How to reach one IMAP folder."""

    host: str
    port: int
    user: str
    password: SecretStr
    folder: str
    ssl: bool
    starttls: bool
    done_folder: str
    oauth2: bool = False  # only the single-mailbox settings carry OAuth2 credentials


@dataclass(frozen=True)
class Mailbox:
    """One mailbox: where its mail comes from and whom our answers come from."""

    key: str
    name: str
    from_address: str
    from_name: str
    language: str  # "zh" / "en": the letters' language when detection is unsure; "" = none
    department: str  # suggested department for its cases; "" = none
    imap: ImapAccess | None
    inbox: Path  # the local folder when there is no IMAP account

    @property
    def domain(self) -> str:
        """The domain of our From address, used for our Message-IDs."""
        return self.from_address.rpartition("@")[2].lower() or "complaints.invalid"

    @property
    def ledger_name(self) -> str:
        """Stable name of the watched folder: the ledger's watermark and the poller lease.

        Built like the old single-mailbox name, so an installation that moves its
        settings into a file keeps its watermark and takes no mail twice.
        """
        if self.imap is not None:
            imap = self.imap
            return f"imap://{imap.user}@{imap.host}:{imap.port}/{imap.folder}"
        return f"folder://{self.inbox.resolve()}"

    def poller_settings(self, settings: Settings) -> Settings:
        """The settings with this mailbox's IMAP account in the ``imap_*`` fields.

        The IMAP poller reads its account from the settings; each mailbox's poller gets
        a copy pointing at its own account, and everything else (timeouts, limits)
        shared.
        """
        if self.imap is None:
            return settings.model_copy(update={"imap_host": ""})
        imap = self.imap
        return settings.model_copy(update={
            "imap_host": imap.host, "imap_port": imap.port, "imap_user": imap.user,
            "imap_password": imap.password, "imap_folder": imap.folder, "imap_ssl": imap.ssl,
            "imap_starttls": imap.starttls, "imap_done_folder": imap.done_folder,
        })


# Loading ------------------------------------------------------------------------------------

_lock = threading.Lock()
_parsed: dict[tuple[str, int, int], _File] = {}
_last_good: dict[str, _File] = {}  # by file: what a running process keeps if an edit breaks it


def load_mailboxes(settings: Settings) -> tuple[Mailbox, ...]:
    """Every configured mailbox, in the file's order; raises MailboxesFileError."""
    if not settings.mailboxes_file:
        return (_single(settings),)
    path = Path(settings.mailboxes_file)
    try:
        parsed = _read(path)
    except MailboxesFileError:
        with _lock:
            kept = _last_good.get(str(path.resolve()))
        if kept is None:
            raise
        # Edited into a broken state while running: keep answering from what was good
        # (a start-up, or `complaints mailboxes check`, reports the mistake).
        log.error("the mailboxes file has become unusable; keeping its last good version",
                  extra={"file": str(path)})
        parsed = kept
    mailboxes = tuple(_resolve(entry, settings, path) for entry in parsed.mailbox)
    _check_unique(mailboxes, path)
    return mailboxes


def mailbox_by_key(settings: Settings, key: str | None) -> Mailbox:
    """The mailbox with this key; the first one when it is unknown (removed from the file).

    A case keeps its mailbox key for years; if the mailbox was removed since, its mail
    still has to go out from an address of ours, and the first mailbox is the one
    the operator listed first.
    """
    mailboxes = load_mailboxes(settings)
    for mailbox in mailboxes:
        if mailbox.key == key:
            return mailbox
    if key:
        log.warning("unknown mailbox; using the first one", extra={"mailbox": key})
    return mailboxes[0]


def our_addresses(settings: Settings) -> frozenset[str]:
    """Every From address of ours, lower-cased (mail from these is never answered)."""
    return frozenset(m.from_address.lower() for m in load_mailboxes(settings))


def our_domains(settings: Settings) -> frozenset[str]:
    """The domains of our From addresses: our Message-IDs end in one of these."""
    return frozenset(m.domain for m in load_mailboxes(settings))


def is_our_address(settings: Settings, address: str) -> bool:
    """True for one of our From addresses, or any address on one of their domains."""
    address = address.strip().strip("<>").lower()
    if not address:
        return False
    mailboxes = load_mailboxes(settings)  # once: each load reads the settings (or file) anew
    domain = address.rpartition("@")[2]
    return any(address == m.from_address.lower() or domain == m.domain for m in mailboxes)


def check_departments(mailboxes: tuple[Mailbox, ...], known: set[str], path: str) -> None:
    """Refuse a default department that the departments file does not have."""
    for mailbox in mailboxes:
        if mailbox.department and mailbox.department not in known:
            raise MailboxesFileError(
                path,
                f"mailbox '{mailbox.key}': department '{mailbox.department}' is not in the "
                f"departments file (known: {', '.join(sorted(known))})",
                f"邮箱“{mailbox.key}”：部门“{mailbox.department}”不在部门配置文件中"
                f"（已有：{'、'.join(sorted(known))}）",
            )


def _single(settings: Settings) -> Mailbox:
    """The single-mailbox settings as a one-entry list."""
    return _single_from(
        settings.from_address, settings.from_name, settings.data_dir, settings.imap_host,
        settings.imap_port, settings.imap_user, settings.imap_password, settings.imap_folder,
        settings.imap_ssl, settings.imap_starttls, settings.imap_done_folder,
        settings.uses_oauth2,
    )


@lru_cache(maxsize=64)
def _single_from(  # the settings it is made of: the cache's key
    from_address: str, from_name: str, data_dir: Path, host: str, port: int, user: str,
    password: SecretStr, folder: str, ssl: bool, starttls: bool, done_folder: str,
    oauth2: bool,
) -> Mailbox:
    """Made once per set of values: every mail asks for its mailbox several times."""
    imap = None
    if host:  # Settings.uses_imap
        imap = ImapAccess(host=host, port=port, user=user, password=password, folder=folder,
                          ssl=ssl, starttls=starttls, done_folder=done_folder, oauth2=oauth2)
    return Mailbox(key=DEFAULT_KEY, name="", from_address=from_address, from_name=from_name,
                   language="", department="", imap=imap, inbox=inbox_under(data_dir))


def _read(path: Path) -> _File:
    """Parse and validate the file, once per change of the file."""
    try:
        stat = path.stat()
    except OSError as err:
        raise MailboxesFileError(path, f"cannot be read ({err.strerror})",
                                 f"无法读取（{err.strerror}）") from err
    cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _parsed.get(cache_key)
    if cached is not None:
        return cached
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise MailboxesFileError(path, f"is not valid TOML ({err})",
                                 f"不是有效的 TOML 格式（{err}）") from err
    try:
        parsed = _File.model_validate(data)
    except ValidationError as err:
        english, chinese = _explain(err, data)
        raise MailboxesFileError(path, english, chinese) from err
    with _lock:
        _parsed[cache_key] = parsed
        _last_good[cache_key[0]] = parsed
    return parsed


def _explain(err: ValidationError, data: dict[str, Any]) -> tuple[str, str]:
    """The first problem, naming the mailbox by its key and the field by its name."""
    problem = err.errors()[0]
    location = [str(part) for part in problem["loc"]]
    where_en, where_zh = "", ""
    if len(location) >= 2 and location[0] == "mailbox" and location[1].isdigit():
        index = int(location[1])
        entries = data.get("mailbox")
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else {}
        label = entry.get("key") if isinstance(entry, dict) else None
        label = str(label) if label else f"#{index + 1}"
        where_en, where_zh = f"mailbox '{label}': ", f"邮箱“{label}”："
        location = location[2:]
    field = ".".join(location) or "mailbox"
    kind = problem["type"]
    if kind == "missing":
        return (f"{where_en}'{field}' is required", f"{where_zh}缺少必填项“{field}”")
    if kind == "extra_forbidden":
        return (f"{where_en}'{field}' is not a known setting (a typo?)",
                f"{where_zh}“{field}”不是可用的设置项（是否拼写错误？）")
    if kind == "too_short" and field == "mailbox":
        return ("lists no mailbox; add at least one [[mailbox]] table",
                "没有列出任何邮箱；请至少添加一个 [[mailbox]] 表")
    if kind == "string_pattern_mismatch" and field == "key":
        return (f"{where_en}'key' must be 1-32 lower-case letters, digits, '-' or '_'",
                f"{where_zh}“key”须为 1-32 个小写字母、数字、“-”或“_”")
    return (f"{where_en}'{field}': {problem['msg']}",
            f"{where_zh}“{field}”的值无效（{problem['msg']}）")


def _resolve(entry: _MailboxEntry, settings: Settings, path: Path) -> Mailbox:
    where_en, where_zh = f"mailbox '{entry.key}': ", f"邮箱“{entry.key}”："
    if not _ADDRESS.match(entry.from_address):
        raise MailboxesFileError(
            path, f"{where_en}from_address '{entry.from_address}' is not an email address",
            f"{where_zh}from_address“{entry.from_address}”不是有效的邮箱地址")
    if entry.imap is not None and entry.folder:
        raise MailboxesFileError(
            path, f"{where_en}give either [mailbox.imap] or 'folder', not both",
            f"{where_zh}[mailbox.imap] 与 folder 只能二选一")
    imap = _imap(entry, path) if entry.imap is not None else None
    inbox = Path(entry.folder) if entry.folder else Path("mail") / entry.key / "inbox"
    if not inbox.is_absolute():
        inbox = Path(settings.data_dir) / inbox
    if entry.key == DEFAULT_KEY and imap is None and not entry.folder:
        inbox = settings.inbox_dir  # the folder the single-mailbox setup always used
    return Mailbox(key=entry.key, name=entry.name, from_address=entry.from_address.strip(),
                   from_name=entry.from_name or settings.from_name, language=entry.language,
                   department=entry.department, imap=imap, inbox=inbox)


def _imap(entry: _MailboxEntry, path: Path) -> ImapAccess:
    imap = entry.imap
    assert imap is not None
    password = imap.password
    if imap.password_env:
        value = os.environ.get(imap.password_env)
        if value is None:
            raise MailboxesFileError(
                path,
                f"mailbox '{entry.key}': the environment variable {imap.password_env} "
                "(its IMAP password) is not set",
                f"邮箱“{entry.key}”：未设置环境变量 {imap.password_env}（其 IMAP 密码）")
        password = SecretStr(value)
    if imap.done_folder and imap.done_folder == imap.folder:
        raise MailboxesFileError(
            path, f"mailbox '{entry.key}': done_folder must differ from folder",
            f"邮箱“{entry.key}”：done_folder 不能与 folder 相同")
    return ImapAccess(host=imap.host, port=imap.port, user=imap.user, password=password,
                      folder=imap.folder, ssl=imap.ssl, starttls=imap.starttls,
                      done_folder=imap.done_folder)


def _check_unique(mailboxes: tuple[Mailbox, ...], path: Path) -> None:
    """Two entries for one key, address or folder would answer or take mail twice."""
    seen: dict[str, str] = {}
    for mailbox in mailboxes:
        for what_en, what_zh, value in (
            ("key", "key", mailbox.key),
            ("from_address", "from_address", mailbox.from_address.lower()),
            ("mailbox folder", "收件文件夹", mailbox.ledger_name),
        ):
            other = seen.get(f"{what_en}:{value}")
            if other is not None:
                raise MailboxesFileError(
                    path,
                    f"mailboxes '{other}' and '{mailbox.key}' have the same {what_en} ({value})",
                    f"邮箱“{other}”与“{mailbox.key}”的{what_zh}相同（{value}）")
            seen[f"{what_en}:{value}"] = mailbox.key
