"""Builders for realistic test mails, with exact bytes."""

from __future__ import annotations

import base64
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from pipeline.db.base import utcnow


def complaint(
    *,
    sender: str = "Jane Smith <jane@customer.example>",
    subject: str = "Broken kettle, order AB-12345678",
    body: str = (
        "Dear Sir or Madam,\n\nThe kettle I received leaks. Please replace it.\n\nJane Smith\n"
    ),
    message_id: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    html: bool = False,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or utcnow())
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, subtype="html" if html else "plain")
    return bytes(msg)


def reply(
    *,
    to_message_id: str | None,
    subject: str,
    body: str,
    sender: str,
    headers: dict[str, str] | None = None,
) -> bytes:
    extra = dict(headers or {})
    if to_message_id:
        extra["In-Reply-To"] = to_message_id
        extra["References"] = to_message_id
    return complaint(sender=sender, subject=subject, body=body, headers=extra)


def gbk_labelled_gb2312(text: str, *, subject: str, name: str, address: str) -> bytes:
    """A mail whose bytes are GBK but whose labels say gb2312, as many clients send."""

    def word(value: str) -> str:
        return "=?gb2312?B?" + base64.b64encode(value.encode("gbk")).decode() + "?="

    head = (
        f"From: {word(name)} <{address}>\r\n"
        "To: complaints@shop.example\r\n"
        f"Subject: {word(subject)}\r\n"
        f"Date: {format_datetime(utcnow())}\r\n"
        f"Message-ID: {make_msgid(domain='customer.example')}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + text.encode("gbk")


def bounce_of(original_message_id: str, recipient: str) -> bytes:
    """A Postfix-style delivery status notification for one of our mails."""
    boundary = "BOUNCE-BOUNDARY-1"
    return (
        "From: MAILER-DAEMON@mx.customer.example (Mail Delivery System)\r\n"
        "To: complaints@shop.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(utcnow())}\r\n"
        f"Message-ID: {make_msgid(domain='mx.customer.example')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: complaints@shop.example\r\n"
        f"To: {recipient}\r\n"
        f"Message-ID: {original_message_id}\r\n"
        "Subject: [CP-2026-000001] We have received your complaint\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")
