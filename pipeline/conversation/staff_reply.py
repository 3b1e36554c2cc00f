"""A reply staff write to the customer from the case page or the command line.

The reply goes where the case's letters go: by mail to the case's own customer
address (never one read from a mail's text) when it works, threaded under the
customer's latest mail with the reference in the subject, else into the print queue
as a letter on our letterhead. It is queued in the caller's transaction with its
correspondence row and audit event, so it exists if and only if they do. The
``token`` (one per reply form, or per CLI call) makes a double submit find the reply
already queued instead of sending it twice.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from letters.staff_reply import MAX_TEXT, StaffReplyLetter, render_staff_reply
from pipeline.cases.events import record_event
from pipeline.conversation.customer_wrote import CUSTOMER_WROTE
from pipeline.db.models import (
    Case,
    Correspondence,
    InboundMail,
    OutboundMail,
    PrintLetter,
    User,
)
from pipeline.links.status import status_url
from pipeline.mail.attachments import store_attachments
from pipeline.mail.filenames import safe_filename
from pipeline.mail.message import MailAttachment
from pipeline.outbound.case_mail import THREAD_DEPTH, can_email, store_case_mail
from pipeline.outbound.post import queue_post, text_letter_pdf

KIND = "staff_reply"
REPLIERS = frozenset({"intake", "supervisor", "admin"})
_TOKEN = re.compile(r"^[0-9a-f]{16}$")


class ReplyError(ValueError):
    """A reply that cannot go out; the message (English and Chinese) is for staff."""


@dataclass(frozen=True)
class ReplyFile:
    """A file staff attach: its name as they gave it, its type and its bytes."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class ReplySent:
    """Where the reply went: a mail to ``to``, or a letter in the print queue."""

    reference: str
    channel: str  # email / post
    to: str  # the customer's address, or "print queue"
    outbound_id: int | None
    letter_id: int | None

    def to_json(self) -> dict[str, object]:
        return {"reference": self.reference, "kind": KIND, "channel": self.channel,
                "to": self.to, "outbound_id": self.outbound_id, "letter_id": self.letter_id}


def new_token() -> str:
    """A fresh reply token (the console puts one in each reply form)."""
    return secrets.token_hex(8)


def may_reply(user: User, case: Case) -> bool:
    """Intake, supervisors and admins on any case; a handler on their department's cases."""
    if not user.active:
        return False
    if user.role in REPLIERS:
        return True
    return user.role == "handler" and bool(user.department) and user.department == case.department


def _post_kind(token: str) -> str:
    return f"{KIND}_{token}"  # the print queue holds one letter per (case, kind)


def _already_sent(session: Session, case: Case, token: str) -> ReplySent | None:
    mail = session.scalar(select(OutboundMail).where(
        OutboundMail.case_id == case.id, OutboundMail.kind == KIND,
        OutboundMail.dedupe_key == token))
    if mail is not None:
        return ReplySent(case.reference, "email", mail.to_address, mail.id, None)
    letter = session.scalar(select(PrintLetter).where(
        PrintLetter.case_id == case.id, PrintLetter.kind == _post_kind(token)))
    if letter is not None:
        return ReplySent(case.reference, "post", "print queue", None, letter.id)
    return None


def _checked_files(files: Sequence[ReplyFile], settings: Settings,
                   post: bool) -> list[ReplyFile]:
    files = [f for f in files if f.payload or f.filename]
    if len(files) > settings.reply_max_files:
        raise ReplyError(f"At most {settings.reply_max_files} files. "
                         f"/ 最多 {settings.reply_max_files} 个附件。")
    if sum(len(f.payload) for f in files) > settings.reply_max_bytes:
        limit = f"{settings.reply_max_bytes / 1_000_000:g} MB"
        raise ReplyError(f"The files are larger than {limit} together. / 附件合计超过 {limit}。")
    if any(not f.payload for f in files):
        raise ReplyError("An attached file is empty. / 有附件是空文件。")
    if post and any(not f.payload.startswith(b"%PDF-") for f in files):
        raise ReplyError("The customer has no working email address, so the reply is printed:"
                         " only PDF files can be printed with it. / 客户没有可用的电子邮箱，"
                         "回复将打印邮寄，只能随信打印 PDF 文件。")
    return [ReplyFile(safe_filename(f.filename), f.content_type or "application/octet-stream",
                      f.payload) for f in files]


def _thread(session: Session, case: Case) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To the customer's latest verified mail; References our mail to them too."""
    latest = session.scalar(
        select(InboundMail.message_id)
        .join(Correspondence, Correspondence.inbound_mail_id == InboundMail.id)
        .where(Correspondence.case_id == case.id, Correspondence.direction == "in",
               Correspondence.verified.is_(True),
               Correspondence.kind.in_(("complaint", "reply")),
               InboundMail.message_id.is_not(None))
        .order_by(Correspondence.at.desc(), Correspondence.id.desc()).limit(1))
    ours = session.scalars(
        select(OutboundMail.message_id)
        .where(OutboundMail.case_id == case.id, OutboundMail.to_address == case.customer_email)
        .order_by(OutboundMail.id.desc()).limit(THREAD_DEPTH)).all()
    chain = (case.source_message_id, *reversed(ours), latest)
    references = tuple(dict.fromkeys(r for r in chain if r))
    return latest or case.source_message_id, references


def _with_enclosures(pdf: bytes, files: Sequence[ReplyFile]) -> bytes:
    writer = PdfWriter()
    for document in (pdf, *(f.payload for f in files)):
        for page in PdfReader(io.BytesIO(document)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def send_staff_reply(
    session: Session, *, case: Case, text: str, files: Sequence[ReplyFile], by: User,
    settings: Settings, token: str = "",
) -> ReplySent:
    """Queue staff's reply to the customer (mail or post) with its files; see the module."""
    if not may_reply(by, case):
        raise ReplyError("You may not write to this customer. / 您无权答复该客户。")
    if case.erased_at is not None:
        raise ReplyError("This customer's data was erased. / 该客户的数据已删除。")
    token = token if _TOKEN.match(token) else new_token()
    done = _already_sent(session, case, token)
    if done is not None:
        return done
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise ReplyError("Write the reply. / 请填写答复内容。")
    if len(body) > MAX_TEXT:
        raise ReplyError(f"The reply is longer than {MAX_TEXT} characters. "
                         f"/ 答复超过 {MAX_TEXT} 字。")
    post = not can_email(case)
    files = _checked_files(files, settings, post)
    letter = StaffReplyLetter(
        reference=case.reference, language=case.language, case_subject=case.subject,
        text=body, signed_by=by.display_name or by.username,
        company_name=settings.company_name, service_phone=settings.service_phone,
        attachments=tuple(f.filename for f in files), post=post,
        status_url=status_url(settings, case.id))
    rendered = render_staff_reply(letter)
    stored = store_attachments(
        session, root=Path(settings.storage_dir),
        attachments=tuple(MailAttachment(f.filename, f.content_type, f.payload) for f in files),
        inbound_mail_id=None, case_id=case.id)
    session.flush()
    if post:
        pdf = _with_enclosures(text_letter_pdf(case=case, settings=settings, rendered=rendered),
                               files)
        printed = queue_post(session, case=case, settings=settings, kind=_post_kind(token),
                             pdf=pdf)
        session.add(Correspondence(case_id=case.id, direction="out", kind=KIND,
                                   subject=rendered.subject, body_text=rendered.text))
        sent = ReplySent(case.reference, "post", "print queue", None, printed.id)
    else:
        in_reply_to, references = _thread(session, case)
        outbound = store_case_mail(
            session, settings=settings, case=case, kind=KIND, rendered=rendered,
            in_reply_to=in_reply_to, references=references, auto_reply=False,
            dedupe_key=token,
            attachments=[(f.filename, f.content_type, f.payload) for f in files])
        sent = ReplySent(case.reference, "email", case.customer_email, outbound.id, None)
    record_event(session, case=case, action=KIND, by=by.username, channel=sent.channel,
                 to=sent.to, files=[row.display_name for row in stored],
                 attachment_ids=[row.id for row in stored])
    answered(case)
    return sent


def answered(case: Case) -> None:
    """Staff answered: the case no longer waits on the customer's mail."""
    case.customer_wrote_at = None
    if case.attention == CUSTOMER_WROTE:
        case.attention = ""
