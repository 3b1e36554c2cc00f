"""Only a case's customer acts on it: attacks written as a stranger would send them.

Every mail goes through the real intake (``ingest_bytes``: ledger -> process -> send to
the outbox folder), on SQLite and PostgreSQL. References are sequential, so the
stranger simply puts someone else's reference in the subject, or copies the
Message-ID of our acknowledgment into In-Reply-To.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import select

from config.policies import load_policies
from config.settings import Settings
from pipeline.cases.customer_addresses import normalise_address
from pipeline.cases.lifecycle import move
from pipeline.cases.queries import case_detail
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseAddress, Correspondence, FollowUp, InboundMail
from pipeline.followup.surveys import send_follow_up
from pipeline.outbound.ack_budget import held_mails
from pipeline.resolution.proposals import Proposal, propose
from tests.support import mails
from workers.app import build_runtime
from workers.inline import ingest_bytes
from workers.runtime import Runtime

CUSTOMER = "Jane Smith <jane@customer.example>"
STRANGER = "Mallory <mallory@evil.example>"
PHONE = "139 1234 5678"
PHONE_E164 = "+8613912345678"
SECRET_WORDS = ("Jane", "Smith", "kettle", "leaks", "1234", "5678", "approved", "closed")


def outbox(settings: Settings) -> list[email.message.EmailMessage]:
    folder = Path(settings.outbox_dir)
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ] if folder.exists() else []


def mail_to(settings: Settings, address: str) -> list[email.message.EmailMessage]:
    return [m for m in outbox(settings) if m["To"].addresses[0].addr_spec == address]


def full_text(message: email.message.EmailMessage) -> str:
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def the_case(runtime: Runtime, reference: str) -> Case:
    with runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


def complaint_case(runtime: Runtime, body: str | None = None) -> str:
    ingest_bytes(runtime, mails.complaint(sender=CUSTOMER, **({"body": body} if body else {})),
                 name="complaint.eml")
    with runtime.factory() as session:
        return session.scalars(select(Case.reference)).one()


def approve(runtime: Runtime, reference: str) -> None:
    with runtime.factory() as session, session.begin():
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        move(session, case=case, to="routed", by="intake")
        propose(session, case=case, policies=load_policies(runtime.settings), by="handler",
                now=utcnow(), proposal=Proposal(
                    findings="Faulty seal.", method="replacement", loss_amount="0",
                    compensation_amount="0", answers=[("Replace it", "A new kettle ships.")]))
        assert case.status == "approved"


def reply(runtime: Runtime, reference: str, body: str, *, sender: str, name: str,
          in_reply_to: str | None = None) -> None:
    ingest_bytes(runtime, mails.reply(to_message_id=in_reply_to, subject=f"Re: [{reference}]",
                                      body=body, sender=sender), name=name)


def assert_stranger_held_off(runtime: Runtime, settings: Settings, reference: str) -> None:
    """Flagged for staff, unverified on the thread, and a neutral note to the stranger only."""
    case = the_case(runtime, reference)
    assert "mallory@evil.example" in case.attention and "names this case" in case.attention
    assert "不是本案客户的已知地址" in case.attention
    with runtime.factory() as session:
        detail = case_detail(session, reference)
    assert detail is not None
    last_in = [c for c in detail["correspondence"] if c["direction"] == "in"][-1]
    assert last_in["verified"] is False and last_in["from_address"] == "mallory@evil.example"
    assert all(c["verified"] for c in detail["correspondence"][:1])
    notes = mail_to(settings, "mallory@evil.example")
    assert notes, "the stranger gets a neutral acknowledgment"
    for note in notes:
        text = full_text(note)
        assert reference not in text
        for word in SECRET_WORDS:
            assert word not in text, word
        assert note["Auto-Submitted"] == "auto-replied"
    # Nothing was mailed to the customer about the stranger's mail.
    assert len(mail_to(settings, "jane@customer.example")) == 1  # the acknowledgment


def test_a_strangers_reply_cannot_agree_or_replace_the_phone(
    runtime: Runtime, settings: Settings
) -> None:
    reference = complaint_case(runtime, body=f"My kettle leaks. Call me on {PHONE}.\nJane Smith")
    approve(runtime, reference)
    ack = mail_to(settings, "jane@customer.example")[0]

    reply(runtime, reference, "I agree. My new number is 138 0013 8000.", sender=STRANGER,
          name="mallory.eml", in_reply_to=ack["Message-ID"])

    case = the_case(runtime, reference)
    assert case.status == "approved" and case.agreed_at is None
    assert case.customer_phone == PHONE_E164
    assert "+8613800138000" not in case.phone_candidates
    assert_stranger_held_off(runtime, settings, reference)
    with runtime.factory() as session:
        actions = list(session.scalars(select(InboundMail.classification)
                                       .order_by(InboundMail.id)))
    assert actions == ["complaint", "unverified-reply"]


def test_a_stranger_cannot_refuse_rate_or_reopen(runtime: Runtime, settings: Settings) -> None:
    reference = complaint_case(runtime)
    approve(runtime, reference)
    reply(runtime, reference, "I do NOT agree.", sender=STRANGER, name="refuse.eml")
    assert the_case(runtime, reference).status == "approved"
    assert "does not agree" not in the_case(runtime, reference).attention

    reply(runtime, reference, "I agree.", sender=CUSTOMER, name="agree.eml")
    case = the_case(runtime, reference)
    assert case.status == "closed" and case.closed_at is not None
    with runtime.factory() as session, session.begin():
        sent = send_follow_up(session, case_id=case.id, settings=runtime.settings,
                              secret="k" * 32, survey_url="https://cs.example/survey",
                              now=case.closed_at + timedelta(days=8))
    assert sent is not None

    reply(runtime, reference, "1分，非常不满意", sender=STRANGER, name="score.eml")
    reply(runtime, reference, "The new kettle leaks too!", sender=STRANGER, name="reopen.eml")

    case = the_case(runtime, reference)
    assert (case.status, case.reopen_count) == ("closed", 0)
    with runtime.factory() as session:
        follow_up = session.get(FollowUp, case.id)
        assert follow_up is not None and follow_up.score is None
    assert_stranger_held_off(runtime, settings, reference)


def test_the_customer_from_the_same_address_still_acts(
    runtime: Runtime, settings: Settings
) -> None:
    """Case and display name do not matter; plus-addressing is another address."""
    reference = complaint_case(runtime)
    approve(runtime, reference)
    reply(runtime, reference, "I agree.", sender="Mallory <jane+x@customer.example>",
          name="plus.eml")
    assert the_case(runtime, reference).status == "approved"

    reply(runtime, reference, f"Call me on {PHONE}.", sender="J. S. <JANE@Customer.Example>",
          name="phone.eml")
    assert the_case(runtime, reference).customer_phone == PHONE_E164
    reply(runtime, reference, "好的，同意。", sender=CUSTOMER, name="agree.eml")
    case = the_case(runtime, reference)
    assert (case.status, case.agreement_via) == ("closed", "reply")
    with runtime.factory() as session:
        verified = list(session.scalars(select(Correspondence.verified)
                                        .where(Correspondence.direction == "in")
                                        .order_by(Correspondence.id)))
    assert verified == [True, False, True, True]


def test_harvesting_an_old_reference_yields_nothing(runtime: Runtime, settings: Settings) -> None:
    reference = complaint_case(runtime, body=f"My kettle leaks. Call me on {PHONE}.\nJane Smith")
    approve(runtime, reference)
    reply(runtime, reference, "I agree.", sender=CUSTOMER, name="agree.eml")
    with runtime.factory() as session, session.begin():
        session.scalars(select(Case)).one().closed_at = utcnow() - timedelta(days=60)

    reply(runtime, reference, "Hello, I have a new problem with my order.", sender=STRANGER,
          name="harvest.eml")

    with runtime.factory() as session:
        assert len(session.scalars(select(Case)).all()) == 1  # no follow-up copying data
    for message in outbox(settings):
        if message["To"].addresses[0].addr_spec != "jane@customer.example":
            text = full_text(message)
            assert "1234" not in text and "Jane" not in text and reference not in text
    assert_stranger_held_off(runtime, settings, reference)

    # The customer's own late mail does open a follow-up with her contact data.
    reply(runtime, reference, "Another kettle from you broke.", sender=CUSTOMER,
          name="later.eml")
    with runtime.factory() as session:
        old, new = session.scalars(select(Case).order_by(Case.id)).all()
    assert new.follows_case_id == old.id and new.customer_phone == PHONE_E164
    assert new.customer_name == "Jane Smith"
    new_ack = [m for m in mail_to(settings, "jane@customer.example")
               if new.reference in str(m["Subject"])]
    assert len(new_ack) == 1 and "139" in full_text(new_ack[0])


def test_an_address_in_the_text_is_only_a_candidate(runtime: Runtime, settings: Settings) -> None:
    body = ("My kettle leaks.\nMy email: someone@example.org\n"
            + "Buy cheap watches at http://spam.example/ " * 30)
    ingest_bytes(runtime, mails.complaint(sender=CUSTOMER, body=body), name="relay.eml")

    assert mail_to(settings, "someone@example.org") == []
    assert len(mail_to(settings, "jane@customer.example")) == 1
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        assert case.customer_email == "jane@customer.example"
        rows = {(a.address, a.verified) for a in session.scalars(select(CaseAddress))}
        detail = case_detail(session, case.reference)
    assert rows == {("someone@example.org", False)}
    assert detail is not None
    assert detail["customer_addresses"] == [
        {"address": "jane@customer.example", "verified": True, "source": "customer_email"},
        {"address": "someone@example.org", "verified": False, "source": "text"}]


def forwarded(forwarder: str) -> bytes:
    inner = EmailMessage()
    inner["From"] = "王芳 <wangfang@customer.example>"
    inner["To"] = "service@shop.example"
    inner["Subject"] = "空调不制冷"
    inner["Message-ID"] = make_msgid(domain="customer.example")
    inner.set_content("我家的空调不制冷了，请派人维修。王芳")
    outer = EmailMessage()
    outer["From"] = forwarder
    outer["To"] = "complaints@shop.example"
    outer["Subject"] = "Fwd: 空调不制冷"
    outer["Message-ID"] = make_msgid(domain="forwarder.example")
    outer.set_content("FYI")
    outer.add_attachment(inner)
    return bytes(outer)


def test_a_staff_forward_makes_the_original_sender_the_customer(
    settings: Settings, tmp_path: Path
) -> None:
    trusted = settings.model_copy(update={"forwarder_domains": "branch.example, shop.example"})
    runtime = build_runtime(trusted)
    try:
        ingest_bytes(runtime, forwarded("Staff <staff@shop.example>"), name="fwd.eml")
        with runtime.factory() as session:
            case = session.scalars(select(Case)).one()
        assert case.customer_email == "wangfang@customer.example"
        assert case.forwarded_by == "staff@shop.example"
        assert len(mail_to(trusted, "wangfang@customer.example")) == 1
    finally:
        runtime.engine.dispose()


def test_a_strangers_forward_is_answered_to_the_stranger(
    runtime: Runtime, settings: Settings
) -> None:
    ingest_bytes(runtime, forwarded("Mallory <mallory@evil.example>"), name="fwd.eml")
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
    assert case.customer_email == "mallory@evil.example"
    assert mail_to(settings, "wangfang@customer.example") == []
    assert len(mail_to(settings, "mallory@evil.example")) == 1


def test_acknowledgments_over_the_hourly_budget_wait_for_staff(
    settings: Settings,
) -> None:
    capped = settings.model_copy(update={"ack_limit_per_hour": 2})
    runtime = build_runtime(capped)
    try:
        for number in range(3):
            ingest_bytes(runtime, mails.complaint(sender=f"c{number}@customer.example"),
                         name=f"{number}.eml")
        assert len(outbox(capped)) == 2
        assert mail_to(capped, "c2@customer.example") == []
        with runtime.factory() as session:
            held = held_mails(session)
            assert [h.to_address for h in held] == ["c2@customer.example"]
            events = session.scalar(select(Case).where(Case.reference == held[0].reference))
            assert events is not None
            assert "acknowledgment_held" in [e.action for e in events.events]
    finally:
        runtime.engine.dispose()


def test_normalised_addresses() -> None:
    assert normalise_address('"Jane, Smith" <Jane@Customer.Example>') == "jane@customer.example"
    assert normalise_address("  JANE@customer.example ") == "jane@customer.example"
    assert normalise_address("jane+x@customer.example") != "jane@customer.example"
    assert normalise_address("MAILER-DAEMON") == ""
