"""Bounces and read receipts, from bytes shaped like what real mail systems send."""

from __future__ import annotations

import base64
import random

import pytest

from pipeline.intake.bounce import is_read_receipt, parse_bounce

OUR_ID = "<0123456789abcdef0123456789abcdef@shop.example>"
CUSTOMER = "jane@customer.example"


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def encoded_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


# --- realistic samples ------------------------------------------------------------------------

POSTFIX_ORIGINAL_HEADERS = f"""\
Return-Path: <complaints@shop.example>
Received: from worker1 (worker1.shop.example [10.0.0.5])
	by mail.shop.example (Postfix) with ESMTPSA id 3F1A2B3C4D
	for <{CUSTOMER}>; Mon, 30 Nov 2026 10:16:01 +0800 (CST)
From: Shop Complaints <complaints@shop.example>
To: Jane Smith <{CUSTOMER}>
Subject: [CP-2026-000123] We have received your complaint
Message-ID: {OUR_ID}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-Complaints-Loop: 1
"""


def postfix_bounce(
    *,
    subject: str = "Undelivered Mail Returned to Sender",
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = (
        f"smtp; 550 5.1.1 <{CUSTOMER}>: Recipient address\n"
        "    rejected: User unknown in virtual mailbox table"
    ),
    headers_part: str = POSTFIX_ORIGINAL_HEADERS,
) -> bytes:
    """Postfix's bounce(8) report: notification, delivery-status, returned headers."""
    boundary = "3F1A2B3C4D.1764468962/mail.shop.example"
    return crlf(
        f"""\
Return-Path: <>
Received: by mail.shop.example (Postfix)
	id 5E6F7A8B9C; Mon, 30 Nov 2026 10:16:02 +0800 (CST)
Date: Mon, 30 Nov 2026 10:16:02 +0800 (CST)
From: MAILER-DAEMON@mail.shop.example (Mail Delivery System)
Subject: {subject}
To: complaints@shop.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{boundary}"
Content-Transfer-Encoding: 8bit
Message-Id: <20261130021602.5E6F7A8B9C@mail.shop.example>

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.shop.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

                   The mail system

<{CUSTOMER}>: host mx.customer.example[203.0.113.25] said: 550
    5.1.1 <{CUSTOMER}>: Recipient address rejected: User unknown in
    virtual mailbox table (in reply to RCPT TO command)

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.shop.example
X-Postfix-Queue-ID: 3F1A2B3C4D
X-Postfix-Sender: rfc822; complaints@shop.example
Arrival-Date: Mon, 30 Nov 2026 10:16:01 +0800 (CST)

Final-Recipient: rfc822; {CUSTOMER}
Original-Recipient: rfc822;{CUSTOMER}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.customer.example
Diagnostic-Code: {diagnostic}

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

{headers_part}
--{boundary}--
"""
    )


def gmail_bounce() -> bytes:
    """Gmail's DSN: HTML and text explanation, delivery-status, the whole original mail."""
    return crlf(
        f"""\
Delivered-To: complaints@shop.example
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: complaints@shop.example
Auto-Submitted: auto-replied
Message-ID: <6751a2b3.050a0220.1c2d3e.4f5a.GMR@mx.google.com>
Date: Mon, 30 Nov 2026 02:15:43 -0800 (PST)
Subject: Delivery Status Notification (Failure)
References: {OUR_ID}
In-Reply-To: {OUR_ID}
X-Failed-Recipients: {CUSTOMER}
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000a1b2c3"; report-type=delivery-status

--000000000000a1b2c3
Content-Type: multipart/alternative; boundary="000000000000d4e5f6"

--000000000000d4e5f6
Content-Type: text/plain; charset="UTF-8"


** Address not found **

Your message wasn't delivered to {CUSTOMER} because the address couldn't be found, \
or is unable to receive mail.

The response from the remote server was:
550 5.1.1 The email account that you tried to reach does not exist.

--000000000000d4e5f6
Content-Type: text/html; charset="UTF-8"

<html><body><h2>Address not found</h2><p>Your message wasn't delivered.</p></body></html>

--000000000000d4e5f6--

--000000000000a1b2c3
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; complaints@shop.example
Arrival-Date: Mon, 30 Nov 2026 02:15:42 -0800 (PST)
X-Original-Message-ID: {OUR_ID}

Final-Recipient: rfc822; {CUSTOMER}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.customer.example. (203.0.113.25, the server for the domain customer.example.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
 Please try double-checking the recipient's email address for typos. s7si1234567qtx.42 - gsmtp
Last-Attempt-Date: Mon, 30 Nov 2026 02:15:43 -0800 (PST)

--000000000000a1b2c3
Content-Type: message/rfc822

From: Shop Complaints <complaints@shop.example>
To: Jane Smith <{CUSTOMER}>
Subject: [CP-2026-000123] We have received your complaint
Message-ID:
 {OUR_ID}
Date: Mon, 30 Nov 2026 10:15:41 +0000
Content-Type: text/plain; charset="utf-8"

Dear Ms Smith, we have received your complaint.

--000000000000a1b2c3--
"""
    )


def exchange_bounce(*, with_headers_part: bool = True) -> bytes:
    """Microsoft 365 NDR: threaded to our mail, original headers as text/rfc822-headers."""
    headers_part = (
        f"""\
--_b1_
Content-Type: text/rfc822-headers

Received: from AM0PR01MB1234.eurprd01.prod.outlook.com by AM0PR01MB5678.outlook.com
From: Shop Complaints <complaints@shop.example>
To: Jane Smith <{CUSTOMER}>
Subject: [CP-2026-000123] We have received your complaint
Message-ID: {OUR_ID}
Content-Type: text/plain

"""
        if with_headers_part
        else ""
    )
    return crlf(
        f"""\
From: Microsoft Outlook <postmaster@customer.onmicrosoft.com>
To: <complaints@shop.example>
Date: Mon, 30 Nov 2026 10:16:05 +0000
Content-Type: multipart/report; report-type=delivery-status; boundary="_b1_"
MIME-Version: 1.0
Message-ID: <a1b2c3d4-e5f6-7890-abcd-ef0123456789@AM0PR01MB1234.eurprd01.prod.outlook.com>
In-Reply-To: {OUR_ID}
References: {OUR_ID}
Thread-Topic: [CP-2026-000123] We have received your complaint
Subject: Undeliverable: [CP-2026-000123] We have received your complaint
Auto-Submitted: auto-replied
X-MS-Exchange-Message-Is-Ndr:

--_b1_
Content-Type: multipart/alternative; boundary="_b2_"

--_b2_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to {CUSTOMER} couldn't be delivered.
jane wasn't found at customer.example.

--_b2_--

--_b1_
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com
Received-From-MTA: dns;AM0PR01MB5678.eurprd01.prod.outlook.com
Arrival-Date: Mon, 30 Nov 2026 10:16:04 +0000

Final-Recipient: rfc822;{CUSTOMER}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP \
address lookup

{headers_part}--_b1_--
"""
    )


def netease_bounce(charset: str = "GBK") -> bytes:
    """163-style plain-text "系统退信": base64 GBK body quoting the original headers."""
    body = (
        "您好，您发送的邮件被退回，以下是退信原因：\n"
        "\n"
        f"收件人：{CUSTOMER}\n"
        f"退信原因：550 User not found: {CUSTOMER}\n"
        "建议：请检查收件人地址是否正确。\n"
        "\n"
        "----- 原始邮件 -----\n"
        "From: Shop Complaints <complaints@shop.example>\n"
        f"To: {CUSTOMER}\n"
        "Subject: [CP-2026-000123] 我们已收到您的投诉\n"
        "Date: Mon, 30 Nov 2026 10:15:41 +0800\n"
        f"Message-ID: {OUR_ID}\n"
    ).replace("\n", "\r\n")
    head = (
        f"From: {encoded_word('系统管理员', charset)} <postmaster@163.com>\r\n"
        "To: complaints@shop.example\r\n"
        f"Subject: {encoded_word('系统退信', charset)}\r\n"
        "Date: Mon, 30 Nov 2026 10:16:00 +0800\r\n"
        "Message-ID: <5f6e7d8c.1a2b.18c1d2e3f4a.Coremail.postmaster@163.com>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: text/plain; charset="{charset}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + b64(body.encode(charset)).encode("ascii")


def qq_bounce() -> bytes:
    """QQ-style "退信": an HTML explanation in Chinese and the original as message/rfc822."""
    html = (
        "<html><body><p>很抱歉您的邮件被退回。</p>"
        f"<p>收件人：{CUSTOMER}</p><p>退信原因：对方邮箱不存在（550 Mailbox not found）</p>"
        "</body></html>"
    )
    return crlf(
        f"""\
From: "{encoded_word("QQ邮箱团队")}" <PostMaster@qq.com>
To: complaints@shop.example
Subject: {encoded_word("退信：[CP-2026-000123] 我们已收到您的投诉")}
Date: Mon, 30 Nov 2026 10:16:00 +0800
Message-ID: <tencent_ABCDEF0123456789@qq.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_NextPart_QQ"

------=_NextPart_QQ
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

{b64(html.encode("utf-8"))}
------=_NextPart_QQ
Content-Type: message/rfc822

From: Shop Complaints <complaints@shop.example>
To: {CUSTOMER}
Subject: [CP-2026-000123] 我们已收到您的投诉
Message-ID: {OUR_ID}

尊敬的客户：我们已收到您的投诉。

------=_NextPart_QQ--
"""
    )


def exim_bounce() -> bytes:
    """Exim: plain text, X-Failed-Recipients, and a copy of the message below a marker."""
    return crlf(
        f"""\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mx.customer.example>
To: complaints@shop.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1kA2b3-0004Xy-9Z@mx.customer.example>
Date: Mon, 30 Nov 2026 02:16:00 +0000
X-Failed-Recipients: {CUSTOMER}
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {CUSTOMER}
    mailbox is full: retry timeout exceeded

------ This is a copy of the message, including all the headers. ------

Return-path: <complaints@shop.example>
From: Shop Complaints <complaints@shop.example>
To: {CUSTOMER}
Subject: [CP-2026-000123] We have received your complaint
Message-ID: {OUR_ID}

Dear Ms Smith,
"""
    )


def qmail_bounce() -> bytes:
    """qmail's "failure notice": no headers naming the recipient, a quoted copy below."""
    return crlf(
        f"""\
From: MAILER-DAEMON@mta.customer.example
To: complaints@shop.example
Subject: failure notice
Date: 30 Nov 2026 02:16:00 -0000

Hi. This is the qmail-send program at mta.customer.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{CUSTOMER}>:
203.0.113.25 does not like recipient.
Remote host said: 554 delivery error: dd This user doesn't have an account

--- Below this line is a copy of the message.

Return-Path: <complaints@shop.example>
Message-Id: {OUR_ID}
From: complaints@shop.example
To: {CUSTOMER}
"""
    )


def read_receipt() -> bytes:
    """An Outlook read receipt (RFC 8098 disposition notification)."""
    return crlf(
        f"""\
From: Jane Smith <{CUSTOMER}>
To: complaints@shop.example
Subject: Read: [CP-2026-000123] We have received your complaint
Date: Mon, 30 Nov 2026 11:00:00 +0000
Message-ID: <read-1@customer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="rr"

--rr
Content-Type: text/plain; charset="utf-8"

Your message was read on Monday, November 30, 2026 11:00:00 AM (UTC).

--rr
Content-Type: message/disposition-notification

Reporting-UA: customer.example; Microsoft Outlook 16.0
Final-Recipient: rfc822;{CUSTOMER}
Original-Message-ID: {OUR_ID}
Disposition: manual-action/MDN-sent-manually; displayed

--rr--
"""
    )


def complaint(subject: str = "Broken kettle", sender: str = f"Jane Smith <{CUSTOMER}>") -> bytes:
    return crlf(
        f"""\
From: {sender}
To: complaints@shop.example
Subject: {subject}
Message-ID: <CAF8x1y2z3@mail.gmail.com>
Content-Type: text/plain; charset="utf-8"

The kettle I received leaks. My message to your shop was undelivered twice.
Message-ID: <not-a-bounce@customer.example>
"""
    )


# --- RFC 3464 delivery status notifications ---------------------------------------------------


def test_postfix_bounce_names_our_mail_and_recipient() -> None:
    bounce = parse_bounce(postfix_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)


def test_postfix_user_unknown_is_permanent_with_readable_diagnostic() -> None:
    bounce = parse_bounce(postfix_bounce())

    assert bounce is not None and bounce.permanent is True
    assert bounce.diagnostic == (
        f"550 5.1.1 <{CUSTOMER}>: Recipient address rejected: User unknown in virtual mailbox table"
    )


def test_postfix_delay_warning_is_transient() -> None:
    raw = postfix_bounce(
        subject="Delayed Mail (still being retried)",
        action="delayed",
        status="4.4.1",
        diagnostic="X-Postfix; connect to mx.customer.example[203.0.113.25]:25: timed out",
    )

    bounce = parse_bounce(raw)

    assert bounce is not None
    assert bounce.permanent is False
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.diagnostic.endswith(":25: timed out")


def test_failure_with_a_4xx_status_is_transient() -> None:
    """GIVEN an MTA giving up after a temporary error THEN the address is not condemned."""
    raw = postfix_bounce(action="failed", status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full")

    bounce = parse_bounce(raw)

    assert bounce is not None and bounce.permanent is False


def test_gmail_dsn_reads_the_returned_message() -> None:
    bounce = parse_bounce(gmail_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.permanent is True
    assert bounce.diagnostic.startswith("550-5.1.1 The email account that you tried to reach")


def test_exchange_ndr_is_read_from_its_status_part() -> None:
    bounce = parse_bounce(exchange_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.permanent is True
    assert "RESOLVER.ADR.RecipientNotFound" in bounce.diagnostic


def test_exchange_ndr_without_returned_headers_uses_in_reply_to() -> None:
    bounce = parse_bounce(exchange_bounce(with_headers_part=False))

    assert bounce is not None and bounce.original_message_id == OUR_ID


def test_dsn_without_report_type_parameter_is_still_read() -> None:
    raw = postfix_bounce().replace(
        b"multipart/report; report-type=delivery-status;", b"multipart/report;"
    )

    bounce = parse_bounce(raw)

    assert bounce is not None and bounce.original_message_id == OUR_ID


def test_base64_encoded_delivery_status_part_is_decoded() -> None:
    status = f"Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; {CUSTOMER}\n"
    status += "Action: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 Rejected as spam\n"
    raw = crlf(
        f"""\
From: postmaster@mx.example
Subject: Undeliverable
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: message/delivery-status
Content-Transfer-Encoding: base64

{b64(status.encode())}
--b
Content-Type: text/rfc822-headers

Message-ID: {OUR_ID}

--b--
"""
    )

    bounce = parse_bounce(raw)

    assert bounce is not None
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.diagnostic == "550 5.7.1 Rejected as spam"


def test_several_recipients_are_all_reported() -> None:
    raw = postfix_bounce().replace(
        b"Final-Recipient: rfc822; jane@customer.example",
        b"Final-Recipient: rfc822; bob@other.example\r\nAction: failed\r\nStatus: 5.2.1\r\n"
        b"\r\nFinal-Recipient: rfc822; jane@customer.example",
    )

    bounce = parse_bounce(raw)

    assert bounce is not None
    assert bounce.failed_recipients == ("bob@other.example", CUSTOMER)


def test_success_notification_is_not_a_bounce() -> None:
    """GIVEN a DSN saying 'delivered' (NOTIFY=SUCCESS) THEN nothing bounced."""
    raw = postfix_bounce(
        subject="Successful Mail Delivery Report",
        action="delivered",
        status="2.0.0",
        diagnostic="smtp; 250 2.0.0 Ok: queued as 1A2B3C",
    )

    assert parse_bounce(raw) is None


# --- plain-text bounces -----------------------------------------------------------------------


def test_netease_chinese_plain_text_bounce() -> None:
    bounce = parse_bounce(netease_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.permanent is True
    assert "550 User not found" in bounce.diagnostic


def test_chinese_bounce_labelled_gb2312_but_written_in_gbk() -> None:
    raw = (
        netease_bounce(charset="GBK")
        .replace(b"=?GBK?", b"=?gb2312?")
        .replace(b'charset="GBK"', b'charset="gb2312"')
    )

    bounce = parse_bounce(raw)

    assert bounce is not None and bounce.original_message_id == OUR_ID


def test_qq_bounce_with_returned_message_attached() -> None:
    bounce = parse_bounce(qq_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.diagnostic == "退信原因：对方邮箱不存在（550 Mailbox not found）"


def test_exim_bounce_uses_x_failed_recipients() -> None:
    bounce = parse_bounce(exim_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)
    assert bounce.permanent is True


def test_bounce_without_status_code_explains_with_its_reason_lines() -> None:
    bounce = parse_bounce(exim_bounce())

    assert bounce is not None
    assert "mailbox is full: retry timeout exceeded" in bounce.diagnostic
    assert "This message was created automatically" not in bounce.diagnostic


def test_qmail_failure_notice() -> None:
    bounce = parse_bounce(qmail_bounce())

    assert bounce is not None
    assert bounce.original_message_id == OUR_ID
    assert bounce.failed_recipients == (CUSTOMER,)
    assert "554 delivery error" in bounce.diagnostic


def test_plain_text_delay_warning_is_transient() -> None:
    raw = exim_bounce().replace(
        b"Subject: Mail delivery failed: returning message to sender",
        b"Subject: Warning: message 1kA2b3-0004Xy-9Z delayed 24 hours",
    )

    bounce = parse_bounce(raw)

    assert bounce is not None and bounce.permanent is False


def test_plain_text_bounce_with_4xx_code_is_transient() -> None:
    raw = qmail_bounce().replace(b"554 delivery error", b"452 mailbox full")

    bounce = parse_bounce(raw)

    assert bounce is not None and bounce.permanent is False


def test_plain_text_bounce_without_quoted_headers_has_no_original_id() -> None:
    raw = crlf(
        "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail Returned to Sender\n\n"
        "Your message could not be delivered.\n"
    )

    bounce = parse_bounce(raw)

    assert bounce is not None
    assert bounce.original_message_id is None
    assert bounce.diagnostic == "Your message could not be delivered."


# --- what is not a bounce ---------------------------------------------------------------------


def test_customer_mail_is_not_a_bounce() -> None:
    assert parse_bounce(complaint()) is None


def test_customer_complaining_about_undelivered_mail_is_not_a_bounce() -> None:
    """GIVEN a person's subject that sounds like a bounce THEN the sender decides: no bounce."""
    raw = complaint(subject="Undelivered Mail Returned to Sender - please help")

    assert parse_bounce(raw) is None


def test_postmaster_mail_without_bounce_subject_is_not_a_bounce() -> None:
    raw = complaint(subject="Your mailbox quota", sender="postmaster@customer.example")

    assert parse_bounce(raw) is None


def test_read_receipt_is_not_a_bounce() -> None:
    assert parse_bounce(read_receipt()) is None


def test_abuse_feedback_report_is_not_a_bounce() -> None:
    raw = read_receipt().replace(
        b"report-type=disposition-notification", b"report-type=feedback-report"
    )

    assert parse_bounce(raw) is None


# --- read receipts ----------------------------------------------------------------------------


def test_read_receipt_is_recognised() -> None:
    assert is_read_receipt(read_receipt()) is True


def test_read_receipt_without_report_type_is_recognised_by_its_part() -> None:
    raw = read_receipt().replace(b"report-type=disposition-notification; ", b"")

    assert is_read_receipt(raw) is True


@pytest.mark.parametrize("raw", [complaint(), postfix_bounce(), gmail_bounce(), qq_bounce()])
def test_other_mail_is_no_read_receipt(raw: bytes) -> None:
    assert is_read_receipt(raw) is False


# --- garbage never raises ---------------------------------------------------------------------


def _garbage() -> list[bytes]:
    rng = random.Random(20261130)
    nested = b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    nested += b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for depth in range(1, 1500):  # deeper than Python's recursion limit
        nested += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (
            depth - 1,
            depth,
        )
    return [
        b"",
        b"\x00\xff\xfe" * 1000,
        bytes(rng.randrange(256) for _ in range(20000)),
        postfix_bounce()[:700],  # cut off inside the headers part
        postfix_bounce().replace(b"--3F1A2B3C4D", b"--XX"),  # boundaries that do not match
        b"Content-Type: multipart/report; report-type*=''%ZZ\r\n\r\nbody",
        b"Content-Type: message/delivery-status\r\n\r\n\xff\xfe: \x00\r\n\r\nAction",
        b"From: MAILER-DAEMON\r\nSubject: =?x-unknown?B?!!!?= undeliverable\r\n\r\n\xff",
        nested,
        b"Subject: " + b"A" * 1_000_000 + b"\r\n\r\n",
    ]


@pytest.mark.parametrize("raw", _garbage())
def test_garbage_never_raises(raw: bytes) -> None:
    bounce = parse_bounce(raw)
    receipt = is_read_receipt(raw)

    assert bounce is None or bounce.diagnostic
    assert receipt in (True, False)


@pytest.mark.parametrize("raw", [
    postfix_bounce(), gmail_bounce(), exchange_bounce(), exchange_bounce(with_headers_part=False),
    netease_bounce(), qq_bounce(), exim_bounce(), qmail_bounce(), read_receipt(), complaint(),
    complaint(subject="Undeliverable: my order", sender="MAILER-DAEMON@shop.example"),
], ids=["postfix", "gmail", "exchange", "exchange-bare", "netease", "qq", "exim", "qmail",
        "read-receipt", "complaint", "complaint-from-daemon"])
def test_the_parsed_tree_answers_as_the_bytes_do(raw: bytes) -> None:
    """Intake hands its parsed MIME tree over instead of having the mail parsed again."""
    from pipeline.mail.mime import read_mail

    mail, tree = read_mail(raw)
    assert parse_bounce(raw, tree) == parse_bounce(raw)
    assert is_read_receipt(raw, tree) is is_read_receipt(raw)
    assert mail == read_mail(raw)[0]
