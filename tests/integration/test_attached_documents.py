"""Complaints in attached documents, and phone numbers in the customer's region, end to
end through the services (record -> process -> acknowledge), on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.models import Attachment, Case
from tests.support.documents import (
    DOCX_TYPE,
    ODT_TYPE,
    docx_bytes,
    odt_bytes,
    text_pdf,
    zip_bomb_docx,
)
from workers.inline import ingest_bytes
from workers.runtime import Runtime

COMPLAINT = (
    "您好：\n"
    "我于11月2日购买的电饭煲（订单号 JD-20261102555）内胆涂层脱落，无法使用。\n"
    "我要求退货并退款。我的电话 138 0013 8000\n"
    "王建国"
)
ASKS_FOR_PHONE = ("请提供联系电话", "Please send us a contact phone number")


def mail(
    body: str,
    *,
    sender: str = "wang@customer.example",
    attachment: tuple[str, str, bytes] | None = None,
    key: str = "",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = "投诉"
    msg["Message-ID"] = f"<{key or 'm'}@customer.example>"
    msg.set_content(body)
    if attachment is not None:
        name, content_type, payload = attachment
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def cases(runtime: Runtime) -> dict[str, Case]:
    with runtime.factory() as session:
        return {c.source_message_id or "": c for c in session.scalars(select(Case))}


def ack_text(settings: Settings, reference: str) -> str:
    for path in sorted(Path(settings.outbox_dir).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if reference in str(message["Subject"]):
            body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
            return str(body.get_content())
    raise AssertionError(f"no acknowledgment for {reference}")


def test_documents_give_the_fields_the_body_would_and_the_ack_asks_no_phone(
    runtime: Runtime, settings: Settings
) -> None:
    documents = {
        "docx": ("complaint.docx", DOCX_TYPE, docx_bytes(COMPLAINT)),
        "odt": ("complaint.odt", ODT_TYPE, odt_bytes(COMPLAINT)),
        "txt": ("complaint.txt", "text/plain", COMPLAINT.encode("utf-8")),
        "pdf": ("complaint.pdf", "application/pdf", text_pdf(COMPLAINT)),
    }
    ingest_bytes(runtime, mail(COMPLAINT, key="body"), name="body.eml")
    for kind, attachment in documents.items():
        body = "详见附件。" if kind in ("docx", "txt") else "Please see the attachment."
        ingest_bytes(runtime, mail(body, attachment=attachment, key=kind), name=f"{kind}.eml")
    found = cases(runtime)
    typed = found["<body@customer.example>"]
    for kind in documents:
        case = found[f"<{kind}@customer.example>"]
        assert case.channel == "email", kind
        assert (
            case.customer_phone,
            case.order_numbers,
            case.demands,
            case.customer_name,
            case.what_happened,
        ) == (
            typed.customer_phone,
            typed.order_numbers,
            typed.demands,
            typed.customer_name,
            typed.what_happened,
        ), kind
        assert case.customer_phone == "+8613800138000" and case.attention == "", kind
        text = ack_text(settings, case.reference)
        assert "138 0013 8000" in text and not any(ask in text for ask in ASKS_FOR_PHONE), kind
        with runtime.factory() as session:
            names = session.scalars(
                select(Attachment.display_name).where(Attachment.case_id == case.id)
            ).all()
        assert names == [documents[kind][0]]


@pytest.mark.parametrize(
    "payload", [zip_bomb_docx(60_000_000), b"PK\x03\x04 not really a zip"], ids=["bomb", "corrupt"]
)
def test_unreadable_document_gives_a_flagged_acknowledged_case(
    runtime: Runtime, settings: Settings, payload: bytes
) -> None:
    ingest_bytes(
        runtime, mail("详见附件。", attachment=("投诉.docx", DOCX_TYPE, payload)), name="x"
    )
    (case,) = cases(runtime).values()
    assert "附件文档无法读取" in case.attention and "could not be read" in case.attention
    assert ack_text(settings, case.reference)


def test_uk_customer_number_is_read_as_uk_and_repeated_as_written(
    runtime: Runtime, settings: Settings
) -> None:
    body = (
        "Hello,\nThe kettle I bought leaks badly. Refund please.\nPlease call me on 07700 900461."
    )
    ingest_bytes(runtime, mail(body, sender="james@mail.co.uk", key="uk"), name="uk.eml")
    (case,) = cases(runtime).values()
    assert case.customer_phone == "+447700900461"
    assert case.customer_phone_written == "07700 900461"
    text = ack_text(settings, case.reference)
    assert "07700 900461" in text and "0770 090 0461" not in text


def test_ambiguous_number_is_kept_as_written_flagged_and_repeated(
    runtime: Runtime, settings: Settings
) -> None:
    body = "Hello,\nThe fan I bought is broken. Refund please.\nPlease call me on 9123 4567."
    ingest_bytes(runtime, mail(body, sender="ann@gmail.com", key="amb"), name="amb.eml")
    (case,) = cases(runtime).values()
    assert case.customer_phone == "9123 4567"
    assert "country is unclear" in case.attention and "9123 4567" in case.attention
    assert set(case.phone_candidates) == {"+85291234567", "+6591234567"}
    assert "9123 4567" in ack_text(settings, case.reference)
