"""A customer's mail taken for a letter whose pictures hold no writing still becomes a case.

A mail that says only "see attached" with a photo is read as a photographed letter.
When OCR finds no writing (a photo of the broken bowl, not of a letter), quarantining
it lost the complaint: no case, no acknowledgment. Instead the mail becomes an e-mail
case from what it has (its subject, its few words, its photos as attachments),
flagged for staff with the reason, and the customer is acknowledged as for any mail.
A scanner's or the scan folder's file has no customer to answer and stays quarantined.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline import jobs
from pipeline.cases import from_mail
from pipeline.db.base import utcnow
from pipeline.db.models import Attachment, InboundMail, LetterScan
from pipeline.documents.reasons import both
from pipeline.jobs import Claim
from pipeline.mail.limits import limits_from
from pipeline.mail.message import MailRejected
from pipeline.mail.mime import parse_mail

log = logging.getLogger(__name__)


@dataclass
class MailCase:
    status: str
    case_id: int | None = None
    outbound_ids: list[int] = field(default_factory=list)


def open_mail_case(
    factory: sessionmaker[Session], *, held: Claim, reason: str, settings: Settings
) -> MailCase | None:
    """Open the e-mail case for an unreadable scan a customer mailed; None if it has no mail.

    Fenced like the letter case: only while the scan is still this worker's claim.
    """
    with factory() as session, session.begin():
        scans = jobs.lock_held(session, held)
        if not scans:
            return MailCase(status="already-done")
        scan = scans[0]
        inbound = session.get(InboundMail, scan.inbound_mail_id) if scan.inbound_mail_id else None
        if inbound is None:
            return None
        try:
            mail = parse_mail(inbound.raw, limits_from(settings))
        except MailRejected:
            return None
        pages = list(session.scalars(select(Attachment).where(Attachment.id.in_(scan.files))))
        note = both(
            "Read as a photographed letter, but no writing was found in its pictures; the "
            f"case holds what the mail says. ({reason})",
            "邮件按来信照片识别，但图片中没有文字；案件内容取自邮件本身。",
        )
        opened = from_mail.open_mail_case(session, inbound=inbound, mail=mail,
                                          settings=settings, note=note, stored=pages)
        _finish(session, scan=scan, inbound=inbound, case_id=opened.case.id, reason=reason)
    log.info("unreadable photo mail opened as e-mail case", extra={"scan_id": scan.id})
    return MailCase(status="mail-case", case_id=opened.case.id,
                    outbound_ids=opened.outbound_ids)


def _finish(
    session: Session, *, scan: LetterScan, inbound: InboundMail, case_id: int, reason: str
) -> None:
    scan.status = "processed"
    scan.case_id = case_id
    scan.last_error = reason[:2000]
    scan.claimed_at = None
    scan.claim_token = None
    scan.processed_at = utcnow()
    inbound.case_id = case_id
    inbound.classification = "complaint"
    inbound.detail = "Photos without writing; opened as an e-mail complaint."
