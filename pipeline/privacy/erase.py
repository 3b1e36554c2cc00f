"""Erasing a customer's personal data, on request or when the retention period ends.

What stays: the case references, dates, statuses, departments, categories, products,
amounts, scores and so the statistics (``case_facts`` and ``daily_figures`` are not
touched). What goes: names, addresses, phones, mail addresses and every free text in
the cases, correspondence, resolutions, surveys and audit details (replaced by
:data:`MARKER`); the raw mails, attachments, scans, letters and notices (bytes
emptied, files deleted); our sent mails (bytes emptied, copies in the outbox folder
deleted). Files are deleted before the commit: if the commit fails, a second run
finds the same rows again and finishes; once committed the rows no longer match the
customer, so a second run finds nothing and changes nothing (idempotent).

Erased means gone from the disk too: SQLite runs with ``secure_delete`` and is
vacuumed afterwards; on PostgreSQL the touched tables are vacuumed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.cases.events import record_event
from pipeline.db.base import utcnow
from pipeline.db.models import (
    Attachment,
    Case,
    CaseAddress,
    CaseDeadline,
    CaseEvent,
    Correspondence,
    FieldConfidence,
    FollowUp,
    InboundMail,
    LetterScan,
    MessageIdClaim,
    Notice,
    OutboundMail,
    PrintBatch,
    PrintLetter,
    Resolution,
    ScanPage,
)
from pipeline.mail.attachments import attachment_path
from pipeline.outbound.folder import mail_key
from pipeline.privacy.holdings import Holdings
from pipeline.staff.audit import record_staff_action

log = logging.getLogger(__name__)

MARKER = "[erased]"
# Audit-detail keys whose string values are our own vocabulary, never customer text.
SAFE_DETAIL_KEYS = frozenset({
    "from", "to", "status", "department", "category", "severity", "channel", "kind",
    "delivery", "via", "method", "due_at", "working_days", "changes", "score", "version",
    "language", "classification", "action", "responsibility", "product", "mail", "inbound",
    "scan_id", "case_id", "resolution", "dedupe_key", "agrees", "permanent", "follows",
    "into", "duplicate", "merged_into",  # case references of a merge, not customer text
})
TOUCHED_TABLES = ("cases", "correspondence", "inbound_mail", "outbound_mail", "attachments",
                  "letter_scans", "notices", "print_letters", "resolutions", "follow_ups",
                  "case_deadlines", "case_events", "case_addresses", "field_confidence",
                  "scan_pages", "message_id_claims")


@dataclass
class Erased:
    """What one erasure did: references and counts only, never the erased values."""

    references: list[str] = field(default_factory=list)
    mails: int = 0
    scans: int = 0
    attachments: int = 0
    sent_mails: int = 0
    letters: int = 0
    files_deleted: int = 0

    def summary(self) -> dict[str, Any]:
        return {"cases": self.references, "mails": self.mails, "scans": self.scans,
                "attachments": self.attachments, "sent_mails": self.sent_mails,
                "letters": self.letters, "files_deleted": self.files_deleted}


def _gone(value: str) -> str:
    return MARKER if value else value


def scrub_detail(value: Any, key: str = "") -> Any:
    """An audit detail with every customer-given string replaced by the marker."""
    if isinstance(value, dict):
        return {k: scrub_detail(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_detail(v, key) for v in value]
    if isinstance(value, str) and value and key not in SAFE_DETAIL_KEYS:
        return MARKER
    return value


def erase_holdings(factory: sessionmaker[Session], *, settings: Settings, holdings: Holdings,
                   reason: str, by: str, action: str = "personal_data_erased",
                   then_compact: bool = True) -> Erased:
    """Erase everything in ``holdings`` in one transaction, then clean the database files.

    ``then_compact=False`` leaves the vacuum to the caller, who erases several batches.
    """
    if holdings.empty:
        return Erased()
    with factory() as session, session.begin():
        erased = _erase(session, settings, holdings, reason=reason[:500], by=by, action=action)
    if then_compact:
        compact(factory.kw["bind"], full=settings.erase_vacuum_full)
    log.info("personal data erased", extra={"cases": len(erased.references), "by": by,
                                             "files": erased.files_deleted})
    return erased


def _erase(session: Session, settings: Settings, holdings: Holdings, *, reason: str, by: str,
           action: str) -> Erased:
    erased = Erased(mails=len(holdings.inbound_ids), scans=len(holdings.scan_ids),
                    attachments=len(holdings.attachment_ids))
    cases, now = holdings.case_ids, utcnow()
    # Files first (see the module docstring), while the rows still say which they are.
    erased.files_deleted += _delete_files(session, settings, holdings)
    for case in session.scalars(select(Case).where(Case.id.in_(cases)).order_by(Case.id)):
        _erase_case(case)
        case.erased_at = now
        erased.references.append(case.reference)
    for row in session.scalars(select(Correspondence).where(Correspondence.case_id.in_(cases))):
        row.subject, row.body_text = _gone(row.subject), _gone(row.body_text)
        row.from_address = _gone(row.from_address)
    # The customer's extra addresses, and what OCR read off their letters' pages.
    session.execute(delete(CaseAddress).where(CaseAddress.case_id.in_(cases)))
    for confidence in session.scalars(
            select(FieldConfidence).where(FieldConfidence.case_id.in_(cases))):
        confidence.sources = None
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(cases))):
        event.detail = scrub_detail(event.detail)
    for resolution in session.scalars(select(Resolution).where(Resolution.case_id.in_(cases))):
        resolution.findings = _gone(resolution.findings)
        resolution.next_steps = _gone(resolution.next_steps)
        resolution.decision_note = _gone(resolution.decision_note)
        resolution.answers = [{"point": MARKER, "answer": MARKER} for _ in resolution.answers]
    for follow in session.scalars(select(FollowUp).where(FollowUp.case_id.in_(cases))):
        follow.comment = _gone(follow.comment)
    for deadline in session.scalars(select(CaseDeadline).where(CaseDeadline.case_id.in_(cases))):
        deadline.reason = _gone(deadline.reason)
    erased.sent_mails = _erase_sent(session, cases)
    erased.letters = _erase_letters(session, cases)
    _erase_ledger(session, holdings)
    for case in session.scalars(select(Case).where(Case.id.in_(cases))):
        record_event(session, case=case, action=action, by=by, reason=reason)
    record_staff_action(session, actor=by, action=action, target=f"{len(cases)} case(s)",
                        reason=reason, **erased.summary())
    return erased


def _erase_case(case: Case) -> None:
    case.customer_name = _gone(case.customer_name)
    case.customer_address = _gone(case.customer_address)
    case.customer_email = _gone(case.customer_email)
    case.customer_phone = _gone(case.customer_phone)
    case.subject = _gone(case.subject)
    case.what_happened = _gone(case.what_happened)
    case.attention = _gone(case.attention)
    case.forwarded_by = _gone(case.forwarded_by)
    case.demands, case.order_numbers, case.phone_candidates = [], [], []
    case.customer_phone_written = _gone(case.customer_phone_written)
    case.source_message_id = None  # carries the sender's host and name


def _erase_sent(session: Session, cases: list[int]) -> int:
    rows = list(session.scalars(select(OutboundMail).where(OutboundMail.case_id.in_(cases))))
    for mail in rows:
        if mail.status in ("pending", "sending"):  # it must never go out now: it is empty
            mail.status, mail.last_error = "failed", "erased before sending"
        else:
            mail.last_error = _gone(mail.last_error)
        mail.raw, mail.to_address, mail.subject = b"", MARKER, MARKER
    return len(rows)


def _erase_letters(session: Session, cases: list[int]) -> int:
    notices = list(session.scalars(select(Notice).where(Notice.case_id.in_(cases))))
    for notice in notices:
        notice.pdf = b""
    letters = list(session.scalars(select(PrintLetter).where(PrintLetter.case_id.in_(cases))))
    for letter in letters:
        letter.pdf, letter.recipient = b"", MARKER
        if letter.status == "waiting":
            letter.status = "erased"  # never printed now
    return len(notices) + len(letters)


def _erase_ledger(session: Session, holdings: Holdings) -> None:
    for mail in session.scalars(select(InboundMail).where(
            InboundMail.id.in_(holdings.inbound_ids))):
        mail.raw, mail.message_id = b"", None
        mail.from_address, mail.subject = _gone(mail.from_address), _gone(mail.subject)
        mail.detail, mail.quarantine_reason = _gone(mail.detail), _gone(mail.quarantine_reason)
        mail.last_error = _gone(mail.last_error)
        mail.safe_html = None if mail.safe_html is None else ""
    session.execute(delete(MessageIdClaim).where(
        MessageIdClaim.inbound_mail_id.in_(holdings.inbound_ids)))
    session.execute(delete(ScanPage).where(ScanPage.scan_id.in_(holdings.scan_ids)))
    for scan in session.scalars(select(LetterScan).where(LetterScan.id.in_(holdings.scan_ids))):
        scan.text, scan.from_address = _gone(scan.text), _gone(scan.from_address)
        scan.source, scan.files = _gone(scan.source), []
        scan.quarantine_reason, scan.last_error = (_gone(scan.quarantine_reason),
                                                   _gone(scan.last_error))
    if holdings.attachment_ids:
        session.execute(delete(Attachment).where(Attachment.id.in_(holdings.attachment_ids)))


def _delete_files(session: Session, settings: Settings, holdings: Holdings) -> int:
    """Attachments and scans, outbox copies, recorded inbox and scan files, print batches."""
    paths: list[Path] = []
    root = Path(settings.storage_dir)
    attachments = list(session.execute(select(Attachment.storage_name, Attachment.sha256).where(
        Attachment.id.in_(holdings.attachment_ids))))
    paths += [attachment_path(root, name) for name, _ in attachments]
    outbox = Path(settings.outbox_dir)
    for raw in session.scalars(select(OutboundMail.raw).where(
            OutboundMail.case_id.in_(holdings.case_ids))):
        if raw and outbox.is_dir():
            paths += outbox.glob(f"*-{mail_key(raw)[1]}.eml")
    mails = list(session.execute(select(InboundMail.source, InboundMail.sha256).where(
        InboundMail.id.in_(holdings.inbound_ids))))
    paths += _recorded_copies(Path(settings.inbox_dir).parent / "recorded",
                              {source.rpartition("/")[2]: sha for source, sha in mails})
    scans = session.scalars(select(LetterScan.source).where(LetterScan.id.in_(holdings.scan_ids)))
    paths += _recorded_copies(Path(settings.scans_dir) / "done",
                              {s.rpartition("/")[2]: "" for s in scans},
                              {sha for _, sha in attachments})
    deleted = sum(_unlink(path) for path in paths)
    return deleted + _rewrite_print_batches(session, holdings.case_ids)


def _recorded_copies(folder: Path, names: dict[str, str], digests: set[str] | None = None
                     ) -> list[Path]:
    """Files a watched folder moved aside (``name`` or ``N-name``) with the same bytes."""
    if not folder.is_dir() or not names:
        return []
    found = []
    for entry in os.scandir(folder):
        base = next((n for n in names if n and (entry.name == n or entry.name.endswith(f"-{n}"))),
                    None)
        if base is None or not entry.is_file():
            continue
        digest = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
        if digest == names[base] or (digests and digest in digests):
            found.append(Path(entry.path))
    return found


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1


def _rewrite_print_batches(session: Session, cases: list[int]) -> int:
    """A printed batch PDF holding the customer's letters is written again without them."""
    from pipeline.outbound.printing import _write_combined

    batch_ids = set(session.scalars(select(PrintLetter.batch_id).where(
        PrintLetter.case_id.in_(cases), PrintLetter.batch_id.is_not(None))))
    changed = 0
    for batch in session.scalars(select(PrintBatch).where(PrintBatch.id.in_(batch_ids))):
        if not batch.out_path:
            continue
        others = list(session.scalars(select(PrintLetter.pdf).where(
            PrintLetter.batch_id == batch.id, PrintLetter.case_id.not_in(cases),
            PrintLetter.pdf != b"").order_by(PrintLetter.id)))
        target = Path(batch.out_path)
        if others:
            _write_combined(others, target)
        elif _unlink(target) == 0:
            continue
        changed += 1
    return changed


def compact(engine: Engine, tables: tuple[str, ...] = TOUCHED_TABLES, *,
            full: bool = True) -> None:
    """Rewrite free space so erased values are not left in the database files.

    SQLite already zeroes freed cells (``secure_delete``); VACUUM rebuilds the file and
    the WAL checkpoint truncates the log that still holds the old pages. On PostgreSQL a
    plain VACUUM only marks dead row versions free: measured, their bytes stayed in the
    table's file. VACUUM FULL writes the tables (and their TOAST data) anew, holding
    only the live rows, and drops the old files; it locks each table while it copies.
    Neither runs inside a transaction. A failure is logged: the data is already erased
    from every table, and the next erasure or retention pass vacuums again.
    """
    try:
        if engine.dialect.name == "sqlite":
            # The raw connection: the engine's "begin" hook would open a transaction.
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(("VACUUM FULL " if full else "VACUUM ") + ", ".join(tables)))
    except Exception:
        log.warning("vacuum after erasure failed; the next one retries", exc_info=True)
