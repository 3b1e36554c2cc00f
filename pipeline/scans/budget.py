"""OCR budgets: how much reading one stranger, or everyone at once, may ask of us.

OCR is the most expensive thing intake does (up to ``ocr_max_pages`` pages of up to
``ocr_page_seconds`` each), and any mail with a short body and a PDF asks for it. So
each scan's pages are counted when it is recorded, before any OCR, and the scan is
*held* for staff instead of queued when

- its sender has already had ``ocr_pages_per_sender_day`` pages read in the last 24
  hours (a customer's mail only: the verified scanner and the scan folder are ours), or
- the pages already waiting for OCR, all senders together, would pass
  ``ocr_backlog_max_pages``.

A held scan keeps its files and shows its reason in the console's quarantine page and
in ``complaints letters scans``; staff release it (``complaints letters release-scan
ID --by USER`` or the console's button) and the sweep reads it. 0 turns a limit off.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.db.models import LetterScan
from pipeline.documents.images import open_image
from pipeline.documents.pdftext import open_pdf
from pipeline.documents.reasons import Unreadable, both
from pipeline.mail.message import MailAttachment

DAY = timedelta(hours=24)


def count_pages(pages: list[MailAttachment], *, max_pages: int) -> int:
    """Pages the files would cost (headers only, nothing decoded); unreadable counts 1."""
    total = 0
    for item in pages:
        count = 1
        with contextlib.suppress(Unreadable, Exception):
            if item.payload[:5] == b"%PDF-" or item.content_type.lower() == "application/pdf":
                document = open_pdf(item.payload, name=item.filename, max_pages=10_000)
                count = len(document)
                document.close()
            else:
                count = getattr(open_image(item.payload, name=item.filename), "n_frames", 1)
        total += max(1, min(count, max_pages + 1))
    return total


def hold_reason(session: Session, *, settings: Settings, pages: int, sender: str,
                now: datetime) -> str:
    """Why a new scan of ``pages`` pages must wait for staff, or "" to read it now."""
    per_sender = settings.ocr_pages_per_sender_day
    if sender and per_sender:
        used = session.scalar(select(func.coalesce(func.sum(LetterScan.pages), 0)).where(
            LetterScan.from_address == sender, LetterScan.received_at >= now - DAY,
            LetterScan.status != "held")) or 0
        if used + pages > per_sender:
            return both(
                f"Held: {sender} has sent {used} page(s) for OCR in the last 24 hours and this "
                f"scan has {pages}; the daily budget per sender is {per_sender}. Release it "
                "if it is a genuine letter.",
                f"已暂停：{sender} 在 24 小时内已提交 {used} 页待识别，本件 {pages} 页，"
                f"超过每位发件人每日 {per_sender} 页的额度。如确为客户来信，请放行。")
    backlog_cap = settings.ocr_backlog_max_pages
    if backlog_cap:
        waiting = session.scalar(select(func.coalesce(func.sum(LetterScan.pages), 0)).where(
            LetterScan.status == "received")) or 0
        if waiting + pages > backlog_cap:
            return both(
                f"Held: {waiting} page(s) are already waiting for OCR and this scan has "
                f"{pages}; at most {backlog_cap} may wait. Release it when the queue is shorter.",
                f"已暂停：已有 {waiting} 页等待识别，本件 {pages} 页，等待识别的总页数上限为 "
                f"{backlog_cap}。请在队列变短后放行。")
    return ""


def release_held(session: Session, *, scan_id: int, by: str) -> bool:
    """Let a held scan be read (the sweep nudges it); False when it is not held."""
    scan = session.get(LetterScan, scan_id, with_for_update=True)
    if scan is None or scan.status != "held":
        return False
    scan.status, scan.claimed_at, scan.attempts = "received", None, 0
    scan.released_by = by[:100]
    scan.last_error = scan.quarantine_reason
    scan.quarantine_reason = ""
    return True


def held_scans(session: Session, limit: int = 200) -> list[LetterScan]:
    return list(session.scalars(select(LetterScan).where(LetterScan.status == "held")
                                .order_by(LetterScan.id).limit(limit)))
