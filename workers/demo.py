"""Demo mailbox: a few realistic complaints in Chinese and English, dropped into the inbox.

Built with the standard library so each mail has exactly the bytes a real client
would send, including a GBK mail mislabelled gb2312 as many Chinese clients do.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from pipeline.db.base import utcnow
from pipeline.db.models import Case, OutboundMail


def _mail(
    sender: str, subject: str, body: str, *, charset: str = "utf-8", html: bool = False
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content(body, subtype="html" if html else "plain", charset=charset)
    return msg


def _gbk_mail() -> bytes:
    """A GBK body and subject labelled gb2312: 喆 is not in GB2312, so naive decoding breaks."""
    body = (
        "您好：\n\n我是李喆，11月3日在贵公司网店购买的电饭煲（订单号 JD-20261103888）"
        "申请退货已经两周，退款至今没有到账。请尽快处理退款。\n"
        "我的电话：13800138000\n\n李喆\n2026年11月20日\n"
    ).encode("gbk")
    head = (
        "From: =?gb2312?B?{name}?= <lizhe@customer.example>\r\n"
        "To: complaints@example.com\r\n"
        "Subject: =?gb2312?B?{subject}?=\r\n"
        f"Date: {format_datetime(utcnow())}\r\n"
        f"Message-ID: {make_msgid(domain='customer.example')}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    name = base64.b64encode("李喆".encode("gbk")).decode()
    subject = base64.b64encode("退款一直没有到账".encode("gbk")).decode()
    return head.format(name=name, subject=subject).encode("ascii") + body


def demo_mails() -> dict[str, bytes]:
    """File name -> raw mail, in the order a mailbox would receive them."""
    zhang = _mail(
        "张伟 <zhangwei@customer.example>",
        "洗衣机送到时外壳破损",
        "您好：\n\n我于11月25日收到订单 JD-20261120123 的洗衣机，开箱发现外壳严重凹陷，"
        "侧面还有裂缝。送货员当时催我签收，没来得及检查。希望尽快给我换货。\n\n张伟\n",
    )
    jane = _mail(
        "Jane Smith <jane.smith@customer.example>",
        "Order AB-12345678 arrived nine days late",
        "Dear Sir or Madam,\n\nMy order AB-12345678 was promised for 14 November but the carrier "
        "only delivered it on 23 November, and the box was soaked. I had paid for express "
        "shipping. I would like compensation for the delivery charge.\n\nRegards,\nJane Smith\n",
    )
    tom = _mail(
        "Tom Brown <tom.brown@customer.example>",
        "Wrong item shipped",
        "<html><body><p>Hello,</p><p>I ordered a <b>blue kettle</b> (order XY-99887766) but "
        "received a red toaster.</p><p>Please refund me. You can call me on +44 20 7946 0958."
        "</p><p>Tom Brown</p></body></html>",
        html=True,
    )
    away = _mail(
        "Wang Fang <wangfang@customer.example>",
        "自动回复: 不在办公室",
        "我正在休假，11月30日返回。",
    )
    away["Auto-Submitted"] = "auto-replied"
    return {
        "01-zhang.eml": bytes(zhang),
        "02-lizhe-gbk.eml": _gbk_mail(),
        "03-jane.eml": bytes(jane),
        "04-tom-html.eml": bytes(tom),
        "05-out-of-office.eml": bytes(away),
    }


def seed_inbox(inbox: Path) -> list[Path]:
    """Drop the demo mails into the inbox the way an MDA does: write, then rename."""
    inbox.mkdir(parents=True, exist_ok=True)
    written = []
    for name, raw in demo_mails().items():
        written.append(_drop(inbox, name, raw))
    return written


def _drop(inbox: Path, name: str, raw: bytes) -> Path:
    tmp = inbox / f".{name}.tmp"
    tmp.write_bytes(raw)
    target = inbox / name
    os.replace(tmp, target)
    return target


def reply_with_phone_later(
    factory: sessionmaker[Session], inbox: Path, stop: threading.Event, timeout: float = 60.0
) -> threading.Thread:
    """Once Zhang Wei's acknowledgment is out, drop his reply giving a phone number."""

    def wait_and_reply() -> None:
        deadline = time.monotonic() + timeout
        while not stop.wait(0.5) and time.monotonic() < deadline:
            with factory() as session:
                row = session.execute(
                    select(Case.reference, OutboundMail.message_id)
                    .join(OutboundMail, OutboundMail.case_id == Case.id)
                    .where(Case.customer_email == "zhangwei@customer.example")
                    .where(OutboundMail.status == "sent")
                ).first()
            if row is not None:
                _drop(inbox, "06-zhang-reply.eml", _reply(row.reference, row.message_id))
                return

    thread = threading.Thread(target=wait_and_reply, name="demo-reply", daemon=True)
    thread.start()
    return thread


def _reply(reference: str, ack_message_id: str) -> bytes:
    msg = _mail(
        "张伟 <zhangwei@customer.example>",
        f"回复：[{reference}] 我们已收到您的投诉",
        "您好，我的手机号是 139 1234 5678，白天都可以联系我。\n\n"
        "------------------ 原始邮件 ------------------\n"
        f"发件人: 客户服务部\n主题: [{reference}] 我们已收到您的投诉\n",
    )
    msg["In-Reply-To"] = ack_message_id
    msg["References"] = ack_message_id
    return bytes(msg)


DESK_COMPLAINTS = (
    {"channel": "phone", "name": "赵敏", "phone": "136 0013 5792", "language": "zh",
     "text": "客户来电：上周买的电暖器 H2 用了两次就冒烟了，订单号 HW2026110877，要求退货退款。"},
    {"channel": "visit", "name": "Tom Baker", "address": "12 Market Street, Manchester M1 1AA",
     "language": "en",
     "text": "The customer came to the counter with a kettle K1 whose lid does not close."
             " Order AB-20261130. He asks for a replacement."},
)
"""A complaint taken on the phone (acknowledged there and then) and one at the counter
with a postal address (a printed acknowledgment), as intake staff record them."""


def seed_desk_complaints(factory: sessionmaker[Session], settings: Settings) -> int:
    """Record the desk complaints once (a second demo run finds them and adds none)."""
    from pipeline.cases.manual import ManualComplaint, open_manual_case

    with factory() as session, session.begin():
        if session.scalar(select(Case.id).where(Case.channel.in_(("phone", "visit")))):
            return 0
        for fields in DESK_COMPLAINTS:
            open_manual_case(session, complaint=ManualComplaint(by="intake", **fields),
                             settings=settings)
    return len(DESK_COMPLAINTS)
