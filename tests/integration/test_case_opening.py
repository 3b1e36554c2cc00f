"""Every way a complaint arrives opens its case by the same rules (issue 13).

GIVEN the same customer's words arriving by mail, on a scanned letter, or told to a
member of staff on the phone or at the counter, WHEN each channel opens its case,
THEN each gets a reference, the record form's fields read the same way, one
``received`` event naming who took it, the customer's words as the first
correspondence, and an acknowledgment chosen by one rule: email when there is a
working address, else a printed letter to the postal address, else ``verbal`` for
phone and counter, else nothing (recorded, and staff are told).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from config.departments import load_departments
from config.policies import load_policies
from pipeline.cases.manual import ManualComplaint, open_manual_case
from pipeline.cases.opening import NO_ADDRESS_NOTE
from pipeline.cases.queries import acknowledgment_state
from pipeline.db.base import utcnow
from pipeline.db.models import (
    Case,
    CaseEvent,
    Correspondence,
    LetterScan,
    OutboundMail,
    PrintLetter,
)
from pipeline.review.routing import RoutingDecision, route_case
from pipeline.scans.cases import open_letter_case
from pipeline.scans.document import DocumentText
from pipeline.scans.fields import extract_letter_fields
from pipeline.scans.ocr import PageText
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

WORDS = ("您好，我叫张伟。我在贵店购买的电水壶（订单号 DD2026112800123）底部漏水，要求换货。"
         "我的电话 13800138000。")
EMAIL = "zhangwei@customer.example"
ADDRESS = "上海市浦东新区世纪大道100号 张伟收"


@dataclass(frozen=True)
class Contact:
    email: bool = False
    address: bool = False


def by_mail(runtime: Runtime, contact: Contact) -> str:
    assert contact.email and not contact.address  # a mail always has its sender
    ingest_bytes(runtime, mails.complaint(sender=f"张伟 <{EMAIL}>", subject="水壶漏水",
                                          body=WORDS + "\n张伟\n"), name="m.eml")
    with runtime.factory() as session:
        return session.scalars(select(Case.reference)).one()


def by_letter(runtime: Runtime, contact: Contact) -> str:
    text = "\n".join(line for line in (
        ADDRESS if contact.address else "", WORDS,
        f"邮箱：{EMAIL}" if contact.email else "", "张伟", "2026年11月30日") if line)
    document = DocumentText(pages=[PageText(text=text, confidence=0.95, angle=0, seconds=0.1)])
    fields = extract_letter_fields(text, ocr_confidence=0.95)
    with runtime.factory() as session, session.begin():
        scan = LetterScan(sha256="a" * 64, source="scan folder/letter.pdf", files=[],
                          received_at=utcnow())
        session.add(scan)
        session.flush()
        return open_letter_case(session, scan=scan, document=document, fields=fields,
                                settings=runtime.settings).case.reference


def by_hand(channel: str) -> Callable[[Runtime, Contact], str]:
    def record(runtime: Runtime, contact: Contact) -> str:
        complaint = ManualComplaint(channel=channel, name="张伟", text=WORDS, by="ivy",
                                    phone="138 0013 8000",
                                    email=EMAIL if contact.email else "",
                                    address=ADDRESS if contact.address else "")
        with runtime.factory() as session, session.begin():
            return open_manual_case(session, complaint=complaint,
                                    settings=runtime.settings).case.reference
    return record


CASES = [  # creator, its channel, who took it, the contact data, the acknowledgment
    pytest.param(by_mail, "email", "system", Contact(email=True), "email", id="mail"),
    pytest.param(by_letter, "letter", "system", Contact(email=True), "email",
                 id="letter-email"),
    pytest.param(by_hand("phone"), "phone", "ivy", Contact(email=True), "email",
                 id="phone-email"),
    pytest.param(by_letter, "letter", "system", Contact(address=True), "post",
                 id="letter-post"),
    pytest.param(by_hand("visit"), "visit", "ivy", Contact(address=True), "post",
                 id="visit-post"),
    pytest.param(by_hand("phone"), "phone", "ivy", Contact(), "verbal", id="phone-verbal"),
    pytest.param(by_hand("visit"), "visit", "ivy", Contact(), "verbal", id="visit-verbal"),
    pytest.param(by_letter, "letter", "system", Contact(), "nothing", id="letter-nothing"),
    pytest.param(by_hand("other"), "other", "ivy", Contact(), "nothing", id="other-nothing"),
]


@pytest.mark.parametrize(("create", "channel", "taken_by", "contact", "ack"), CASES)
def test_each_channel_opens_its_case_by_the_same_rules(
    runtime: Runtime, create: Callable[[Runtime, Contact], str], channel: str, taken_by: str,
    contact: Contact, ack: str,
) -> None:
    reference = create(runtime, contact)

    with runtime.factory() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        # The record: a reference, the fields read from the same words the same way.
        assert re.fullmatch(r"CP-\d{4}-\d{6}", reference)
        assert (case.status, case.channel, case.language) == ("new", channel, "zh")
        assert case.customer_name == "张伟" and case.taken_by == taken_by
        assert case.customer_phone == "+8613800138000"
        assert "DD2026112800123" in case.order_numbers and "replacement" in case.demands
        assert "漏水" in case.what_happened
        assert case.customer_email == (EMAIL if contact.email else "")
        # One received event, by whoever took it; the customer's words on the thread.
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                 .order_by(CaseEvent.id)).all()
        received = [e for e in events if e.action == "received"]
        assert len(received) == 1 and received[0].actor == taken_by
        assert received[0].detail["channel"] == channel
        first = session.scalars(select(Correspondence).where(
            Correspondence.case_id == case.id, Correspondence.direction == "in")).all()
        assert len(first) == 1 and "订单号 DD2026112800123" in first[0].body_text
        # The acknowledgment, by the one rule.
        mail = session.scalars(select(OutboundMail).where(
            OutboundMail.case_id == case.id, OutboundMail.kind == "acknowledgment")).all()
        letters = session.scalars(select(PrintLetter).where(
            PrintLetter.case_id == case.id, PrintLetter.kind == "acknowledgment")).all()
        actions = {e.action for e in events}
        state = acknowledgment_state(session, case)
        if ack == "email":
            assert [m.to_address for m in mail] == [EMAIL] and not letters
            assert state in ("pending", "sent")
        elif ack == "post":
            assert not mail and len(letters) == 1 and "上海市浦东新区" in letters[0].recipient
            assert state == "print_waiting" and "acknowledgment_queued_for_print" in actions
        elif ack == "verbal":
            assert not mail and not letters and state == "verbal"
            verbal = [e for e in events if e.action == "acknowledged_verbally"]
            assert len(verbal) == 1 and verbal[0].actor == taken_by
        else:
            assert not mail and not letters and state == "none"
            assert "acknowledgment_suppressed" in actions
            assert NO_ADDRESS_NOTE in case.attention


@pytest.mark.parametrize(("create", "taken_by"), [
    pytest.param(by_mail, "sue", id="mail: the reviewer"),
    pytest.param(by_hand("phone"), "ivy", id="by hand: who recorded it"),
])
def test_the_person_who_took_the_case_is_named_after_routing(
    runtime: Runtime, create: Callable[[Runtime, Contact], str], taken_by: str,
) -> None:
    reference = create(runtime, Contact(email=True))

    with runtime.factory() as session, session.begin():
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        route_case(session, case=case, settings=runtime.settings,
                   departments=load_departments(runtime.settings),
                   policies=load_policies(runtime.settings), by="sue", now=utcnow(),
                   decision=RoutingDecision(department="quality"))

    with runtime.factory() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        assert case.status == "routed" and case.taken_by == taken_by
