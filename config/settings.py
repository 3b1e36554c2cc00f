"""One typed settings object for every entry point.

Values come from environment variables prefixed ``COMPLAINTS_`` and, underneath them,
an optional TOML file named by ``COMPLAINTS_CONFIG_FILE``. Each entry point builds the
object once with :func:`load_settings` and passes it down: nothing reads the
environment at import time, so tests can build as many differently-configured
settings as they like in one process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """Everything the product can be told; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="COMPLAINTS_",
        extra="ignore",
        validate_default=True,
    )

    # Where things live.
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    redis_url: str = ""

    # Incoming mail: IMAP when imap_host is set, else the local folder data_dir/mail/inbox.
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    imap_ssl: bool = True
    imap_starttls: bool = False
    imap_done_folder: str = ""
    imap_idle_seconds: int = Field(default=540, ge=10, le=600)
    imap_poll_seconds: float = Field(default=30.0, gt=0)
    imap_timeout_seconds: float = Field(default=30.0, gt=0)
    folder_poll_seconds: float = Field(default=0.5, gt=0)
    # Several mailboxes: a TOML file listing them (empty = the imap_*/from_* settings above).
    mailboxes_file: str = ""

    # OAuth2 (XOAUTH2) for Gmail / Microsoft 365; used for IMAP and SMTP when set.
    oauth2_token_url: str = ""
    oauth2_client_id: str = ""
    oauth2_client_secret: SecretStr = SecretStr("")
    oauth2_refresh_token: SecretStr = SecretStr("")
    oauth2_scope: str = ""

    # Outgoing mail: SMTP when smtp_host is set, else .eml files in data_dir/mail/outbox.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    from_address: str = "complaints@example.com"
    from_name: str = "Customer Service 客户服务部"
    company_name: str = "Example Co. 示例公司"
    service_phone: str = "400-000-0000"
    time_zone: str = "Asia/Shanghai"

    # Extraction.
    phone_region: str = "CN"
    order_number_pattern: str = r"\b(?:[A-Z]{2,4}-?\d{6,12}|\d{12,20})\b"
    reference_prefix: str = "CP"

    # Limits on what a single mail may be before it is quarantined unparsed.
    max_mail_bytes: int = 40 * 1024 * 1024
    max_mime_parts: int = 200
    max_mime_depth: int = 10
    max_header_line_bytes: int = 64 * 1024

    # Acknowledgments and loop protection.
    ack_max_age_hours: float = 72.0
    ack_limit_per_address: int = 10
    ack_limit_window_hours: float = 3.0
    inbound_limit_per_address_day: int = 40
    loop_header: str = "X-Complaints-Loop"
    review_days: int = 2

    # Queue and recovery.
    worker_threads: int = Field(default=4, ge=1)
    # Mail batches one worker process turns into cases at the same time. More than one
    # per process made each complaint cost a quarter more CPU (threads taking turns with
    # the interpreter lock, more PostgreSQL backends competing) and throughput fell:
    # run more worker processes to use more cores.
    intake_concurrency: int = Field(default=1, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    retry_min_backoff_ms: int = Field(default=1_000, ge=1)
    retry_max_backoff_ms: int = Field(default=300_000, ge=1)
    claim_seconds: float = Field(default=120.0, gt=0)
    sweep_seconds: float = Field(default=15.0, gt=0)
    heartbeat_timeout_ms: int = 15_000
    maintenance_chance: int = 1000

    # Poller lock: one active poller per mailbox.
    # Longer than the IMAP socket timeout, so one slow read never loses the lease.
    lease_seconds: float = Field(default=60.0, gt=1)

    # Timed work (deadline reminders, escalations, follow-ups) and links in letters.
    scheduler_seconds: float = Field(default=30.0, gt=0)
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr("")
    supervisor_address: str = ""
    # Personal data of a closed case is erased this many years after closing (scheduler).
    retention_years: float = Field(default=3.0, gt=0)
    # After an erasure on PostgreSQL: VACUUM FULL (rewrites the touched tables, so no
    # old value stays in the files; locks them meanwhile) or a plain VACUUM (no lock).
    erase_vacuum_full: bool = True

    # Staff console (complaints web): where it listens, how long a sign-in lasts.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=1, le=65535)
    session_hours: float = Field(default=12.0, gt=0)

    # Hardening against hostile input (issue 11): sign-in, scans, plain-text passwords.
    session_idle_minutes: float = Field(default=60.0, gt=0)  # a session ends this long unused
    sign_in_user_failures: int = Field(default=5, ge=1)  # per user name, within the window
    sign_in_address_failures: int = Field(default=20, ge=1)  # per client address
    sign_in_window_minutes: float = Field(default=15.0, gt=0)
    sign_in_wait_seconds: int = Field(default=60, ge=1)  # the first wait; doubles after
    # The customer's status page (no login): requests per client address and per link
    # within the window, and how long a link works after its case closed.
    status_page_address_requests: int = Field(default=60, ge=1)
    status_page_link_requests: int = Field(default=30, ge=1)
    status_page_window_minutes: float = Field(default=10.0, gt=0)
    status_link_days_after_closing: int = Field(default=90, ge=0)
    ocr_pages_per_sender_day: int = Field(default=40, ge=0)  # a customer's scans a day
    ocr_backlog_max_pages: int = Field(default=600, ge=0)  # pages waiting for OCR, all senders
    scanner_token: SecretStr = SecretStr("")  # X-Complaints-Scanner-Token the scanner adds
    scanner_trusted_relays: str = ""  # comma-separated hosts/IPs in our own top Received
    allow_plaintext_login: bool = False  # send IMAP/SMTP passwords unencrypted (not loopback)

    # Departments cases are routed to (empty = the built-in config/departments.toml).
    departments_file: str = ""

    # Deadlines, approval authority, follow-up, holidays (empty = built-in config/policies.toml).
    policies_file: str = ""

    # The product catalogue suggested at intake (empty = built-in config/products.example.toml).
    products_file: str = ""
    # Categories and severity rules suggested at intake (empty = built-in config/triage.toml).
    triage_file: str = ""

    # Printed letters: a CJK TrueType font to embed (empty = find one on this machine).
    pdf_font_path: str = ""
    # Font files or folders to look in for a system CJK font (os.pathsep-separated;
    # empty = the usual places), and where the packaged font's instances are kept
    # (empty = data_dir/fonts).
    pdf_font_search_path: str = ""
    pdf_font_cache_dir: str = ""

    # Scanned paper letters (OCR).
    scanner_addresses: str = ""  # comma-separated: mail from these is always a scanned letter
    company_postal_address: str = "上海市浦东新区世纪大道1号 / 1 Century Avenue, Shanghai"
    letter_body_max_chars: int = Field(default=200, ge=0)
    letter_min_image_bytes: int = Field(default=30_000, ge=0)
    letter_min_image_side: int = Field(default=700, ge=1)
    ocr_page_seconds: float = Field(default=30.0, gt=0)
    ocr_max_pages: int = Field(default=30, ge=1)
    ocr_claim_seconds: float = Field(default=600.0, gt=0)
    ocr_threads: int = Field(default=1, ge=1)
    # Complaints written in an attached document (.docx/.odt/.txt/PDF with text).
    document_max_bytes: int = Field(default=10_000_000, ge=1)
    document_max_unzipped_bytes: int = Field(default=30_000_000, ge=1)
    document_max_pages: int = Field(default=50, ge=1)
    document_seconds: float = Field(default=10.0, gt=0)
    # Files staff attach to a reply from the console or the CLI (issue 12): at most this
    # many, together at most this many bytes (the console refuses a larger upload).
    reply_max_files: int = Field(default=5, ge=0)
    reply_max_bytes: int = Field(default=10_000_000, ge=0)
    scan_poll_seconds: float = Field(default=2.0, gt=0)

    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Put the TOML file under the environment, so an env var always wins."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("COMPLAINTS_CONFIG_FILE")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @field_validator("phone_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    # Derived locations -------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        """Return the configured database URL, or SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'complaints.db').resolve()}"

    @property
    def inbox_dir(self) -> Path:
        return inbox_under(self.data_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "mail" / "outbox"

    @property
    def storage_dir(self) -> Path:
        """Root under which attachments are stored by generated name."""
        return self.data_dir / "attachments"

    @property
    def scans_dir(self) -> Path:
        """The watched scan folder; files are moved to ``done/`` inside it once recorded."""
        return self.data_dir / "scans"

    @property
    def scanner_address_set(self) -> set[str]:
        return {a.strip().lower() for a in self.scanner_addresses.split(",") if a.strip()}

    @property
    def uses_imap(self) -> bool:
        return bool(self.imap_host)

    @property
    def uses_smtp(self) -> bool:
        return bool(self.smtp_host)

    @property
    def uses_oauth2(self) -> bool:
        return bool(self.oauth2_token_url)

    @property
    def mailbox_name(self) -> str:
        """Stable name of the watched mailbox, used for the ledger and the poller lock."""
        if self.uses_imap:
            return f"imap://{self.imap_user}@{self.imap_host}:{self.imap_port}/{self.imap_folder}"
        return f"folder://{self.inbox_dir.resolve()}"

    # Identity (issue 11): who may act on a case, and how much automatic mail goes out.
    # Forwards from these domains (comma-separated) are our staff passing on a customer's
    # mail: the forwarded mail's sender is the customer. Any other forwarder is the sender.
    forwarder_domains: str = ""
    # Acknowledgments per hour, all senders together; above it they wait for staff.
    ack_limit_per_hour: int = Field(default=200, ge=0)

    @property
    def forwarder_domain_set(self) -> set[str]:
        return {d.strip().lower().lstrip("@") for d in self.forwarder_domains.split(",")
                if d.strip()}


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment (and TOML file), with explicit overrides."""
    return Settings(**overrides)


def inbox_under(data_dir: Path) -> Path:
    """The local mail folder under a data folder (``Settings.inbox_dir``)."""
    return Path(data_dir) / "mail" / "inbox"
