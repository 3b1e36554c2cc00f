"""The tables. The database is the source of truth; queue messages only nudge.

Unique keys carry the idempotency rules: a mailbox item is recorded once per
(mailbox, UIDVALIDITY, UID), raw mail once per sha256, a case once per source
Message-ID, an acknowledgment once per case.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.db.base import Base, UTCDateTime, utcnow


def written_after() -> Any:
    """A many-to-one link whose only use is to order writes: this row after its target.

    New cases and outbox rows take their ids before the INSERT (``pipeline.db.ids``), so
    a case, its events, letters and outbox row are written together in one flush. The
    ORM orders a flush's tables by their relationships, and otherwise by class name:
    without this link a Correspondence row would go before the OutboundMail it points
    at. Loading through it is refused (``lazy="raise"``); code reads the id columns.
    """
    return relationship(lazy="raise")


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
    customer_phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    # The phone as the customer wrote it ("07700 900461"), repeated in acknowledgments.
    customer_phone_written: Mapped[str] = mapped_column(String(60), default="", server_default="")
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
    # The key of the mailbox it came in through (config/mailboxes.py): we answer from it.
    mailbox: Mapped[str] = mapped_column(String(32), default="default")

    # Responsibility and routing (set in review): ours / not_ours / third_party.
    responsibility: Mapped[str] = mapped_column(String(16), default="")
    third_party: Mapped[str] = mapped_column(String(200), default="")  # e.g. the carrier
    department: Mapped[str | None] = mapped_column(String(32), index=True)  # key in departments
    # The named person handling it (a staff username), set by the department's manager or
    # by a handler taking it; the deadline letter and the notice name them as the contact.
    handler: Mapped[str | None] = mapped_column(String(100), index=True)
    # Classification for deadlines and statistics (客户投诉统计表), set in review.
    category: Mapped[str] = mapped_column(String(32), default="", index=True)
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    product: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[int | None] = mapped_column(Integer)
    # Closure: the customer's agreement, when the case closed, and what it continues.
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreement_via: Mapped[str] = mapped_column(String(16), default="")  # reply / phone / ...
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # How a closed case closed: agreed / no_reply (CLOSING_KINDS in pipeline/cases/lifecycle.py).
    closing_kind: Mapped[str] = mapped_column(String(16), default="", server_default="")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many times the customer refused a written notice (disputes.max_rounds).
    dispute_rounds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    follows_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # A duplicate merged into another case of the same customer closes as 'merged'.
    merged_into_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # When a verified customer mail arrived that no staff action has followed yet: the
    # department queue shows such cases first, marked "customer wrote" (客户来信).
    customer_wrote_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When the customer's personal data was erased (on request or by retention).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    # Free-text search (Chinese included) uses ILIKE '%term%'; on PostgreSQL trigram
    # GIN indexes answer it without reading every case. SQLite has no such index.
    # The review queue reads new cases oldest first. New cases are the newest, so a
    # walk along received_at would skip every older case first; this partial index
    # holds only the cases waiting for review.
    __table_args__ = (
        Index("ix_cases_review_queue", "received_at", "id",
              postgresql_where=text("status = 'new'"), sqlite_where=text("status = 'new'")),
        *(
            Index(f"ix_trgm_cases_{column}", column, postgresql_using="gin",
                  postgresql_ops={column: "gin_trgm_ops"}).ddl_if(dialect="postgresql")
            for column in ("subject", "what_happened", "customer_name", "customer_email",
                           "customer_phone", "reference")
        ),
    )


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
    mailbox: Mapped[str] = mapped_column(String(32), default="default")  # key it came in by

    # received -> processed | quarantined | failed ; classification says what it was.
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    classification: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    quarantine_reason: Mapped[str] = mapped_column(Text, default="")
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case | None] = written_after()
    from_address: Mapped[str] = mapped_column(String(320), default="", index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))  # fences the holder's writes
    last_error: Mapped[str] = mapped_column(Text, default="")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The HTML part as staff may see it (sanitised once at intake); NULL = not yet, "" = none.
    safe_html: Mapped[str | None] = mapped_column(Text)


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
    case: Mapped[Case | None] = written_after()
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
    case: Mapped[Case] = written_after()
    direction: Mapped[str] = mapped_column(String(8))  # in / out
    kind: Mapped[str] = mapped_column(String(32))  # complaint, reply, auto_reply, bounce, ...
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    outbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mail.id"))
    outbound_mail: Mapped[OutboundMail | None] = written_after()
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # False for a mail naming the case from an address not known as the customer's.
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    from_address: Mapped[str] = mapped_column(String(320), default="")


class OutboundMail(Base):
    """The outbox: a mail is rendered and stored with its case, then sent by a worker."""

    __tablename__ = "outbound_mail"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "dedupe_key", name="uq_outbound_once"),
        Index("ix_outbound_to_created", "to_address", "created_at"),
        Index("ix_outbound_auto_created", "auto_reply", "created_at"),  # hourly ack budget
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case] = written_after()
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
    claim_token: Mapped[str | None] = mapped_column(String(32))  # fences the holder's writes
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseEvent(Base):
    """The audit trail: what happened to a case, who did it, when."""

    __tablename__ = "case_events"
    # Acceptance of routing suggestions reads the latest status events.
    __table_args__ = (Index("ix_case_events_action_id", "action", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class CaseDeadline(Base):
    """The resolution deadline the customer was told, and the timed work it drives.

    One row per case; a moved deadline updates the row (the history is in the audit
    trail). ``reminded_at`` and ``escalated_at`` are set in the same transaction that
    queues the reminder or escalation, so the scheduler never does either twice.
    """

    __tablename__ = "case_deadlines"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    case: Mapped[Case] = written_after()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    working_days: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")  # why it moved ("" when first set)
    changes: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Resolution(Base):
    """A department's proposed resolution; a case may have several if sent back.

    ``answers`` holds ``{"point": ..., "answer": ...}`` for each point the customer
    raised, in order: the written-resolution notice prints them as they are here.
    """

    __tablename__ = "resolutions"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case] = written_after()
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # /approved/sent_back
    findings: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(32))  # compensation, return, discount, ...
    loss_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    compensation_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    next_steps: Mapped[str] = mapped_column(Text, default="")
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")  # instructions or comments


class Notice(Base):
    """A letter archived with its case exactly as the customer received it.

    Immutable once written: corrections are a new notice, never an edit. The unique
    key makes issuing idempotent: a retried job finds the notice already there.
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("case_id", "kind", "resolution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case] = written_after()
    kind: Mapped[str] = mapped_column(String(32))  # resolution, ...
    resolution_id: Mapped[int | None] = mapped_column(ForeignKey("resolutions.id"))
    language: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(16))  # email / post
    outbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mail.id"))
    outbound_mail: Mapped[OutboundMail | None] = written_after()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgreementWait(Base):
    """The wait for the customer's answer to one written notice: reminder, then closing.

    One row per notice, written with it. ``reminded_at`` and ``closed_at`` are set in
    the same transaction that queues the reminder or closes the case, under a row lock,
    so however many schedulers run, each happens once. ``close_at`` moves when the
    reminder goes out late, so the date the reminder names is always in the future.
    """

    __tablename__ = "agreement_waits"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case] = written_after()
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    close_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowUp(Base):
    """The satisfaction follow-up of a closed case: when it is due, what was answered."""

    __tablename__ = "follow_ups"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    case: Mapped[Case] = written_after()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_mail.id"))
    outbound_mail: Mapped[OutboundMail | None] = written_after()
    cancelled_reason: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_via: Mapped[str] = mapped_column(String(16), default="")  # link / reply / phone


class CaseFacts(Base):
    """One narrow row per case with every figure the statistics count.

    The period reports aggregate this table alone. Joining a year of cases to their
    resolutions, deadlines, follow-ups and acknowledgments, and scanning the wide case
    rows with their complaint texts, took 25 s over a million cases; this table holds
    only the few columns a report reads. It is derived data: ``pipeline/db/facts.py``
    rebuilds a case's row from the source rows in the same transaction that changes
    them, so it commits or rolls back with the change.
    """

    __tablename__ = "case_facts"
    __table_args__ = (Index("ix_case_facts_product_received", "product", "received_at"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    case: Mapped[Case] = written_after()
    reference: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    department: Mapped[str] = mapped_column(String(32), default="")
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    # The current approved resolution ("" and zero amounts when there is none).
    method: Mapped[str] = mapped_column(String(32), default="")
    loss_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    compensation_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    close_seconds: Mapped[float | None] = mapped_column(Float)  # received → closed
    ack_seconds: Mapped[float | None] = mapped_column(Float)  # received → acknowledgment sent
    # For closed cases with a deadline: closed by it? (None otherwise.)
    deadline_kept: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(Integer)  # the satisfaction answer
    closing_kind: Mapped[str] = mapped_column(String(16), default="", server_default="")


class DailyFigures(Base):
    """The cases received on one local day, counted per kind of case.

    A report reads the same cases a dozen ways (by department, channel, category,
    product, handling method, week, closing time, with the previous period beside
    them). Counting a year of case facts for each costs seconds over a million cases;
    reading these counts (a few rows per day) costs milliseconds. Rebuilt day by day
    from the case facts when a day is marked stale (``pipeline/reports/days.py``).
    """

    __tablename__ = "daily_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # local, in DailyFiguresState's zone
    department: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    product: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))  # a method group, "other", or "" (none yet)
    cases: Mapped[int] = mapped_column(Integer)
    loss: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    compensation: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    with_deadline: Mapped[int] = mapped_column(Integer)  # closed cases that had a deadline
    kept: Mapped[int] = mapped_column(Integer)  # ... and were closed by it
    scores: Mapped[int] = mapped_column(Integer)  # satisfaction answers
    score_sum: Mapped[int] = mapped_column(Integer)
    # Closed cases by time to close: ≤1, 1–3, 3–7, 7–14, 14–30, >30 days.
    closed_0: Mapped[int] = mapped_column(Integer)
    closed_1: Mapped[int] = mapped_column(Integer)
    closed_2: Mapped[int] = mapped_column(Integer)
    closed_3: Mapped[int] = mapped_column(Integer)
    closed_4: Mapped[int] = mapped_column(Integer)
    closed_5: Mapped[int] = mapped_column(Integer)
    # Closed cases whose customer never answered the notice (closing kind no_reply).
    closed_no_reply: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class StaleMark(Base):
    """A UTC day whose case facts changed since its daily figures were counted.

    Each transaction that changes facts adds its own marks and never updates a shared
    row: one row per day would make every intake wait for the one before it to
    commit. A refresh removes the marks it can see, which are those of committed
    changes only, and recounts their days; a change still in flight keeps its mark
    for the next refresh.
    """

    __tablename__ = "stale_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    utc_day: Mapped[date] = mapped_column(Date)


class DailyFiguresState(Base):
    """The time zone the daily figures were counted in (one row); refreshes lock it."""

    __tablename__ = "daily_figures_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))


class User(Base):
    """A member of staff who signs in to the console; the role decides what they see."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # intake / handler / supervisor / admin
    department: Mapped[str | None] = mapped_column(String(32))  # for handlers
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by an admin's reset to a temporary password: every page asks for a new one.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"))
    email: Mapped[str] = mapped_column(String(320), default="", server_default="")  # reset links


class StaffSession(Base):
    """A signed-in console session; only a hash of the cookie's token is stored."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # for the idle limit


class RecurringNote(Base):
    """A root-cause note staff attach to a recurring problem (a cluster's stable key)."""

    __tablename__ = "recurring_notes"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    note: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(32), default="")  # who traces the cause
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
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

    # received -> processed | quarantined | failed; held (over an OCR budget) -> received
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    quarantine_reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))  # fences the holder's writes
    last_error: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    ocr_pages: Mapped[int] = mapped_column(Integer, default=0)
    ocr_seconds: Mapped[float | None] = mapped_column(Float)  # time spent reading its pages
    text: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case | None] = written_after()
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(100))  # who let a held scan through


class FieldConfidence(Base):
    """How sure extraction was of each case field read from a letter (0..1; weak = check it)."""

    __tablename__ = "field_confidence"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    case: Mapped[Case] = written_after()
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Per field key, the rectangles on the scan its value was read from (see
    # pipeline/scans/sources.py); null for cases read before boxes were kept.
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ScanPage(Base):
    """One page of a read letter: its OCR text and boxes, and where its pixels come from.

    ``file_id``/``frame`` name the stored file and its page, ``angle`` the turn OCR
    applied; re-rendering those gives the image the boxes (in ``lines``, pixels of a
    ``width`` x ``height`` page) were measured on.
    """

    __tablename__ = "scan_pages"
    __table_args__ = (UniqueConstraint("scan_id", "number", name="uq_scan_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("letter_scans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1-based, in the letter's page order
    file_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    frame: Mapped[int] = mapped_column(Integer, default=0)
    angle: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"text": line, "boxes": [{"text", "score", "x", "y", "w", "h"}, ...]}, ...]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PrintLetter(Base):
    """A paper letter to print and post: rendered once, stored, printed in a batch."""

    __tablename__ = "print_letters"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_print_letter_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case: Mapped[Case] = written_after()
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


class MessageIdClaim(Base):
    """The first ledger mail that opened work for a Message-ID: a unique key, so two copies
    of one mail processed at the same moment become one case and one duplicate."""

    __tablename__ = "message_id_claims"

    message_id: Mapped[str] = mapped_column(String(998), primary_key=True)
    inbound_mail_id: Mapped[int] = mapped_column(ForeignKey("inbound_mail.id"))


class SignInThrottle(Base):
    """Failed sign-ins per user name or client address, shared by every console process."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "user:..." / "addr:..."
    failures: Mapped[int] = mapped_column(Integer, default=0)  # within the current window
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wait_seconds: Mapped[int] = mapped_column(Integer, default=0)  # the last wait; doubles


class CaseAddress(Base):
    """An extra address of a case's customer: mail from a verified one acts on the case.

    The case's ``customer_email`` and its complaint's sender need no row. ``source``
    says how a row came: ``staff`` (confirmed or adopted on the case page),
    ``backfill`` (migration 0007). Rows with ``verified`` false are contact
    candidates found in a mail's text (``text``), for staff to adopt.
    """

    __tablename__ = "case_addresses"
    __table_args__ = (UniqueConstraint("case_id", "address", name="uq_case_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    case: Mapped[Case] = written_after()
    address: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="sender")
    added_by: Mapped[str] = mapped_column(String(100), default="system")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MailboxPoll(Base):
    """When each mailbox (or watched folder) was last read successfully, for /healthz."""

    __tablename__ = "mailbox_polls"

    mailbox: Mapped[str] = mapped_column(String(500), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")


class OpsCounter(Base):
    """A running count kept in the database (e.g. sweep re-sends), right across processes."""

    __tablename__ = "ops_counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class PasswordReset(Base):
    """A one-time password-reset link an admin had mailed; only the token's hash is kept."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffAudit(Base):
    """What staff did outside a case: account changes, personal-data exports and erasures.

    ``detail`` never holds personal data: an erasure records case references and counts.
    """

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")  # a user name, a case count
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TemplateVersion(Base):
    """An admin's version of a letter template; the highest version of a name is used.

    Nothing is ever overwritten: a restore saves the old text again as a new version,
    so the history shows what customers were sent when.
    """

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_template_versions_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")  # e.g. "restored version 2"


class ReplyTemplate(Base):
    """A reusable start for a staff reply, in one language; admins keep them in the console."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("name", "language", name="uq_reply_template_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8))  # zh / en
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
