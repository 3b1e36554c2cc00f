"""Automatic mail: every signal that must keep us from acknowledging a robot."""

from __future__ import annotations

import pytest

from pipeline.intake.automatic import automatic_reason, is_out_of_office
from pipeline.mail.message import ParsedMail

LOOP_HEADER = "X-Complaints-Loop"
OWN_DOMAINS = ("shop.example",)


def mail(
    *,
    headers: dict[str, str | list[str]] | None = None,
    from_address: str = "jane@customer.example",
    subject: str = "Broken kettle, order AB-12345678",
    message_id: str | None = "<CAF8x1y2z3@mail.gmail.com>",
    content_type: str = "text/plain",
    return_path: str | None = "jane@customer.example",
) -> ParsedMail:
    """A ParsedMail as the MIME parser hands it on: header names lower-cased, values lists."""
    lowered = {
        name.lower(): value if isinstance(value, list) else [value]
        for name, value in (headers or {}).items()
    }
    return ParsedMail(
        message_id=message_id,
        subject=subject,
        from_name="Jane Smith",
        from_address=from_address,
        to_addresses=("complaints@shop.example",),
        date=None,
        in_reply_to=None,
        references=(),
        headers=lowered,
        text="The kettle leaks.",
        html=None,
        content_type=content_type,
        return_path=return_path,
    )


def reason(parsed: ParsedMail) -> str | None:
    return automatic_reason(parsed, loop_header=LOOP_HEADER, own_domains=OWN_DOMAINS)


# --- a person's mail --------------------------------------------------------------------------


def test_plain_customer_mail_is_not_automatic() -> None:
    assert reason(mail()) is None


def test_outlook_customer_mail_with_ordinary_headers_is_not_automatic() -> None:
    """GIVEN the headers a real Outlook complaint carries THEN it is a person's mail."""
    parsed = mail(
        headers={
            "Thread-Topic": "Broken kettle",
            "Thread-Index": "AQHZx1y2z3",
            "X-MS-Has-Attach": "yes",
            "X-MS-TNEF-Correlator": "",
            "Content-Language": "en-GB",
            "X-Mailer": "Microsoft Outlook 16.0",
        },
        message_id="<AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.outlook.com>",
    )

    assert reason(parsed) is None


def test_qq_customer_mail_is_not_automatic() -> None:
    parsed = mail(
        from_address="12345678@qq.com",
        subject="投诉：水壶漏水",
        message_id="<tencent_0123456789ABCDEF@qq.com>",
        headers={"X-QQ-mid": "xmsezb1a2b3c", "X-Mailer": "QQMail 2.x"},
        content_type="multipart/alternative",
    )

    assert reason(parsed) is None


# --- Auto-Submitted (RFC 3834) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["auto-replied", "auto-generated", "Auto-Replied", "auto-notified; owner-email=x"]
)
def test_auto_submitted_other_than_no_is_automatic(value: str) -> None:
    assert reason(mail(headers={"Auto-Submitted": value})) == f"Auto-Submitted: {value}"


@pytest.mark.parametrize("value", ["no", "No", " NO ", "no; comment"])
def test_auto_submitted_no_is_a_person(value: str) -> None:
    assert reason(mail(headers={"Auto-Submitted": value})) is None


def test_empty_auto_submitted_counts_as_automatic() -> None:
    assert reason(mail(headers={"Auto-Submitted": ""})) == "Auto-Submitted: (empty)"


def test_second_auto_submitted_value_is_read_too() -> None:
    assert reason(mail(headers={"Auto-Submitted": ["no", "auto-generated"]})) is not None


# --- Precedence, lists, auto-responders -------------------------------------------------------


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "auto_reply", "BULK"])
def test_bulk_precedence_is_automatic(value: str) -> None:
    assert reason(mail(headers={"Precedence": value})) == f"Precedence: {value.lower()}"


def test_other_precedence_is_not_automatic() -> None:
    assert reason(mail(headers={"Precedence": "first-class"})) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("List-Id", "Shop newsletter <news.shop.example>"),
        ("List-Unsubscribe", "<mailto:unsubscribe@news.example>, <https://news.example/u>"),
        ("List-Post", "<mailto:group@lists.example>"),
    ],
)
def test_mailing_list_headers_are_automatic(name: str, value: str) -> None:
    assert reason(mail(headers={name: value})) == f"Mailing-list mail ({name})"


@pytest.mark.parametrize("name", ["X-Autoreply", "X-Autorespond", "X-Autoresponder"])
def test_autoresponder_headers_are_automatic(name: str) -> None:
    assert reason(mail(headers={name: "yes"})) == f"Auto-responder header {name}"


@pytest.mark.parametrize(
    "value", ["All", "OOF", "AutoReply", "DR, RN, NRN, OOF, AutoReply", "dr,oof", "all"]
)
def test_auto_response_suppress_with_all_oof_or_autoreply_is_automatic(value: str) -> None:
    assert reason(mail(headers={"X-Auto-Response-Suppress": value})) is not None


@pytest.mark.parametrize("value", ["DR", "RN, NRN", "DR, NDR, RN, NRN"])
def test_auto_response_suppress_of_receipts_only_is_a_person(value: str) -> None:
    """GIVEN Outlook asking only for no delivery/read receipts THEN that is no robot."""
    assert reason(mail(headers={"X-Auto-Response-Suppress": value})) is None


def test_exchange_inbox_rule_loop_is_automatic() -> None:
    parsed = mail(headers={"X-MS-Exchange-Inbox-Rules-Loop": "jane@customer.example"})

    assert "X-MS-Exchange-Inbox-Rules-Loop" in (reason(parsed) or "")


# --- senders and reports ----------------------------------------------------------------------


@pytest.mark.parametrize("return_path", ["", "<>", " <> "])
def test_empty_return_path_is_automatic(return_path: str) -> None:
    assert reason(mail(return_path=return_path)) == "Empty Return-Path (<>): sent by a mail system"


def test_unknown_return_path_is_not_automatic() -> None:
    assert reason(mail(return_path=None)) is None


@pytest.mark.parametrize(
    "address",
    [
        "MAILER-DAEMON@mx.customer.example",
        "mailer-daemon@googlemail.com",
        "MAILER-DAEMON",
        "postmaster@163.com",
        "PostMaster@qq.com",
        "no-reply@accounts.example",
        "noreply@github.com",
        "no_reply@bank.example",
        "noreply-dmarc-support@google.com",
        "do-not-reply@shipping.example",
        "donotreply@shipping.example",
        "DoNotReply@service.microsoft.com",
        "bounces+12345-abcd@mail.example",
    ],
)
def test_robot_sender_addresses_are_automatic(address: str) -> None:
    assert (reason(mail(from_address=address)) or "").startswith("Automatic sender address")


@pytest.mark.parametrize(
    "address",
    ["norman@customer.example", "replyguy@example.com", "post@example.com", "master@x.example"],
)
def test_addresses_resembling_robots_are_people(address: str) -> None:
    assert reason(mail(from_address=address)) is None


@pytest.mark.parametrize(
    "content_type",
    ["multipart/report", "Multipart/Report", "multipart/report; report-type=delivery-status"],
)
def test_any_multipart_report_is_automatic(content_type: str) -> None:
    assert "multipart/report" in (reason(mail(content_type=content_type)) or "")


# --- our own mail coming back ----------------------------------------------------------------


def test_our_loop_header_is_automatic_whatever_its_value() -> None:
    parsed = mail(headers={LOOP_HEADER: ""})

    assert reason(parsed) == "Our own loop header X-Complaints-Loop: our mail came back"


def test_loop_header_name_is_matched_case_insensitively() -> None:
    parsed = mail(headers={"x-complaints-loop": "1"})

    assert automatic_reason(parsed, loop_header="X-COMPLAINTS-LOOP", own_domains=()) is not None


def test_message_id_of_our_domain_is_automatic() -> None:
    parsed = mail(message_id="<0123456789abcdef0123456789abcdef@Shop.Example>")

    assert reason(parsed) == "Message-ID from our own domain shop.example: our mail came back"


def test_message_id_of_a_subdomain_is_not_ours() -> None:
    """Exact domains only: our mailbox's provider must not make its customers 'ours'."""
    parsed = mail(message_id="<abc@mail.shop.example>")

    assert reason(parsed) is None


def test_no_own_domains_means_no_message_id_check() -> None:
    parsed = mail(message_id="<abc@shop.example>")

    assert automatic_reason(parsed, loop_header=LOOP_HEADER, own_domains=[]) is None


def test_missing_message_id_is_not_automatic() -> None:
    assert reason(mail(message_id=None)) is None


# --- the reason shown to staff ---------------------------------------------------------------


def test_reason_value_is_shortened_for_staff() -> None:
    parsed = mail(headers={"Auto-Submitted": "auto-generated " + "x" * 500})

    shown = reason(parsed) or ""
    assert shown.startswith("Auto-Submitted: auto-generated") and len(shown) < 120


def test_strongest_signal_is_named_first() -> None:
    """GIVEN our loop header and a bulk Precedence THEN staff read that it is our own mail."""
    parsed = mail(headers={LOOP_HEADER: "1", "Precedence": "bulk"})

    assert "loop header" in (reason(parsed) or "")


# --- out of office ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: [CP-2026-000123] We have received your complaint",
        "Out of office",
        "Automatic reply: [CP-2026-000123] We have received your complaint",
        "Auto-Reply: your message",
        "Autoreply: Re: your complaint",
        "自动回复: [CP-2026-000123] 我们已收到您的投诉",
        "自动回复：我正在休假",
        "自动答复: [CP-2026-000123] 我们已收到您的投诉",  # Outlook in Chinese
        "自動回覆：[CP-2026-000123] 我們已收到您的投訴",
        "Abwesenheitsnotiz: Ihre Beschwerde",
        "不在办公室：12月1日返回",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    assert is_out_of_office(mail(subject=subject)) is True


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "Auto-Replied; vacation"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "auto_reply"},
    ],
)
def test_out_of_office_headers(headers: dict[str, str | list[str]]) -> None:
    assert is_out_of_office(mail(headers=headers, subject="Re: your complaint")) is True


@pytest.mark.parametrize(
    "subject",
    [
        "Re: [CP-2026-000123] We have received your complaint",
        "回复：[CP-2026-000123] 我们已收到您的投诉",
        "The office chair arrived broken",
        "Your auto-renewal charged me twice",
    ],
)
def test_human_replies_are_not_out_of_office(subject: str) -> None:
    assert is_out_of_office(mail(subject=subject)) is False


def test_auto_generated_notification_is_not_out_of_office() -> None:
    """GIVEN Auto-Submitted: auto-generated (a system notice) THEN it is no vacation reply."""
    assert is_out_of_office(mail(headers={"Auto-Submitted": "auto-generated"})) is False
