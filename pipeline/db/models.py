"""The tables. The database is the source of truth; queue messages only nudge.

Unique keys carry the idempotency rules: a mailbox item is recorded once per
(mailbox, UIDVALIDITY, UID), raw mail once per sha256, a case once per source
Message-ID, an acknowledgment once per case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.db.base import Base, UTCDateTime, utcnow


class Case(Base):
    """A complaint: the fields of the record form 客户投诉记录单 plus its state."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email / letter / phone / onsite / other
    language: Mapped[str] = mapped_column(String(8), default="zh")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_address: Mapped[str] = mapped_column(Text, default="")
    customer_email: Mapped[str] = mapped_column(String(320), default="", index=True)
    customer_phone: Mapped[str] = mapped_column(String(40), default="")
    email_undeliverable: Mapped[bool] = mapped_column(Boolean, default=False)

    subject: Mapped[str] = mapped_column(String(500), default="")
    what_happened: Mapped[str] = mapped_column(Text, default="")
    demands: Mapped[list[str]] = mapped_column(JSON, default=list)
    order_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone_candidates: Mapped[list[str]] = mapped_column(JSON, default=list)
    taken_by: Mapped[str] = mapped_column(String(100), default="system")

    source_message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    forwarded_by: Mapped[str] = mapped_column(String(320), default="")
    attention: Mapped[str] = mapped_column(Text, default="")  # why staff must look now

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")


class ReferenceCounter(Base):
    """Per-year sequence behind references like CP-2026-000123."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class InboundMail(Base):
    """The ledger: every mail we took responsibility for, raw bytes kept forever."""

    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(500), default="")

    # received -> processed | quarantined | failed ; classification says what it was.
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    classification: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    quarantine_reason: Mapped[str] = mapped_column(Text, default="")
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    from_address: Mapped[str] = mapped_column(String(320), default="", index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailboxItem(Base):
    """Where a ledger mail was seen on a server, so a rescan never records it twice."""

    __tablename__ = "mailbox_items"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mailbox_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500))
    # UIDs and UIDVALIDITY are unsigned 32-bit: above a signed INTEGER's range.
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    inbound_mail_id: Mapped[int] = mapped_column(ForeignKey("inbound_mail.id"), index=True)
    settled: Mapped[bool] = mapped_column(Boolean, default=False)  # flagged/moved on the server
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MailboxState(Base):
    """UID watermark per mailbox folder, valid only for its UIDVALIDITY."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(500), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Lease(Base):
    """A named lock with an expiry, so one poller per mailbox is active and others stand by."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A file that came with a mail, stored under a generated name inside the storage root."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # None for a file from the scan folder, which came with no mail.
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class Correspondence(Base):
    """One message in a case's thread, in or out."""

    __tablename__ = "correspondence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in / out
    kind: Mapped[str] = mapped_column(String(32))  # complaint, reply, auto_reply, bounce, ...
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    outbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mail.id"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboundMail(Base):
    """The outbox: a mail is rendered and stored with its case, then sent by a worker."""

    __tablename__ = "outbound_mail"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "dedupe_key", name="uq_outbound_once"),
        Index("ix_outbound_to_created", "to_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # acknowledgment, ...
    dedupe_key: Mapped[str] = mapped_column(String(100), default="")
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=True)

    # pending -> sending -> sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseEvent(Base):
    """The audit trail: what happened to a case, who did it, when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class LetterScan(Base):
    """A scanned paper letter waiting for OCR: the DB row is the job, queue messages nudge it.

    One row per source document (a scanner mail, a customer's photographed letter, or a
    file in the scan folder); its pages are the stored attachments listed in ``files``.
    """

    __tablename__ = "letter_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of the source, for dedupe
    source: Mapped[str] = mapped_column(String(500), default="")  # mail / scan folder + name
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"), index=True)
    files: Mapped[list[int]] = mapped_column(JSON, default=list)  # attachment ids, in page order
    from_address: Mapped[str] = mapped_column(String(320), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    # received -> processed | quarantined | failed
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    quarantine_reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    ocr_pages: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FieldConfidence(Base):
    """How sure extraction was of each case field read from a letter (0..1; weak = check it)."""

    __tablename__ = "field_confidence"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PrintLetter(Base):
    """A paper letter to print and post: rendered once, stored, printed in a batch."""

    __tablename__ = "print_letters"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_print_letter_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # acknowledgment, ...
    language: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(Text, default="")  # the address block, for listing
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pages: Mapped[int] = mapped_column(Integer, default=1)
    # waiting -> printed
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("print_batches.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PrintBatch(Base):
    """One print run: which letters it holds is recorded before its PDF is written."""

    __tablename__ = "print_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # open (letters assigned, PDF not yet written) -> done
    status: Mapped[str] = mapped_column(String(16), default="open")
    out_path: Mapped[str] = mapped_column(Text, default="")
    letters: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
