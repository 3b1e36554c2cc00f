"""The case page's identity decisions through the real console (and their CLI twins).

CP-2026-000001 is 王伟's complaint (wangwei@customer.example). A stranger writes about
it; staff see the mail marked unverified and either confirm the sender or split it
off as a new complaint. Held acknowledgments are listed and sent on request.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import Settings
from pipeline.db.models import Case, CaseAddress, CaseEvent, Correspondence, OutboundMail
from tests.console.conftest import ConsoleWorld
from tests.e2e.test_cli_embedded import clean_env, complaints
from tests.support import mails
from tests.support.console import sign_in
from tests.support.waiting import wait_until
from workers.inline import ingest_bytes

REF = "CP-2026-000001"
STRANGER = "Mallory <mallory@evil.example>"


def _stranger_writes(world: ConsoleWorld, body: str = "同意。我的电话 13800138000") -> int:
    ingest_bytes(world.runtime, mails.reply(to_message_id=None, subject=f"回复：{REF}",
                                            body=body, sender=STRANGER), name="m.eml")
    with world.runtime.factory() as session:
        row = session.scalar(select(Correspondence).where(Correspondence.verified.is_(False)))
        assert row is not None and row.inbound_mail_id is not None
        return row.inbound_mail_id


def _case(world: ConsoleWorld, reference: str = REF) -> Case:
    with world.runtime.factory() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


def _cli_env(settings: Settings) -> dict[str, str]:
    env = clean_env()
    env["COMPLAINTS_DATA_DIR"] = str(settings.data_dir)
    env["COMPLAINTS_FROM_ADDRESS"] = settings.from_address
    if settings.database_url:
        env["COMPLAINTS_DATABASE_URL"] = settings.database_url
    env["COMPLAINTS_TEST_REDIS"] = os.environ.get("COMPLAINTS_TEST_REDIS", "")
    return env


def test_staff_confirm_the_sender_and_then_the_address_acts(world: ConsoleWorld) -> None:
    ledger_id = _stranger_writes(world)
    ivy = world.client()
    token = sign_in(ivy, "ivy")
    page = ivy.get(f"/cases/{REF}")
    assert "Unverified sender" in page.text and "mallory@evil.example" in page.text
    assert 'action="/cases/CP-2026-000001/confirm-sender"' in page.text
    assert _case(world).customer_phone == ""

    no_token = ivy.post(f"/cases/{REF}/confirm-sender", data={"ledger_id": str(ledger_id)})
    assert no_token.status_code == 403
    lou = world.client()  # another department's handler may not
    lou_token = sign_in(lou, "lou")
    refused = lou.post(f"/cases/{REF}/confirm-sender",
                       data={"csrf_token": lou_token, "ledger_id": str(ledger_id)})
    assert refused.status_code == 403

    done = ivy.post(f"/cases/{REF}/confirm-sender",
                    data={"csrf_token": token, "ledger_id": str(ledger_id)})
    assert done.status_code == 200 and "The address now belongs to the customer" in done.text
    case = _case(world)
    assert case.customer_phone == "" and case.attention == ""  # not applied afterwards
    with world.runtime.factory() as session:
        address = session.scalar(select(CaseAddress).where(
            CaseAddress.address == "mallory@evil.example"))
        assert address is not None and address.verified and address.added_by == "ivy"
        actions = [e.action for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert "unverified_mail_confirmed" in actions and "customer_address_confirmed" in actions

    _stranger_writes_again = mails.reply(to_message_id=None, subject=f"回复：{REF}",
                                         body="我的电话 13800138000", sender=STRANGER)
    ingest_bytes(world.runtime, _stranger_writes_again, name="again.eml")
    assert _case(world).customer_phone == "+8613800138000"


def test_treat_as_new_complaint_opens_its_own_case(world: ConsoleWorld) -> None:
    ledger_id = _stranger_writes(world, body="My own parcel never came, order ZX-99887766.")
    ivy = world.client()
    token = sign_in(ivy, "ivy")
    response = ivy.post(f"/cases/{REF}/split",
                        data={"csrf_token": token, "ledger_id": str(ledger_id)},
                        follow_redirects=False)
    assert response.status_code == 303
    new_reference = response.headers["location"].split("/cases/")[1].split("?")[0]
    assert new_reference != REF
    new = _case(world, new_reference)
    assert new.customer_email == "mallory@evil.example"
    assert "ZX-99887766" in new.order_numbers and new.follows_case_id is None
    old = _case(world)
    assert old.attention == ""
    with world.runtime.factory() as session:
        assert session.scalar(select(Correspondence).where(
            Correspondence.case_id == old.id, Correspondence.inbound_mail_id == ledger_id)) is None
    # Its acknowledgment goes to the stranger and speaks only of the stranger's mail.
    folder = Path(world.settings.outbox_dir)

    def ack_sent() -> list[email.message.EmailMessage]:
        found = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in folder.glob("*.eml")]
        return [m for m in found if new_reference in str(m["Subject"])]  # type: ignore[misc]

    world.deliver()  # the outbox worker's part
    wait_until(lambda: bool(ack_sent()), 20, "the new case's acknowledgment")
    ack = ack_sent()[0]
    assert ack["To"].addresses[0].addr_spec == "mallory@evil.example"  # type: ignore[union-attr]
    assert "水壶" not in ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_held_acknowledgment_is_listed_and_sent_on_request(world: ConsoleWorld) -> None:
    capped = world.settings.model_copy(update={"ack_limit_per_hour": 0})
    world.runtime.settings = capped
    ingest_bytes(world.runtime, mails.complaint(sender="Held <held@customer.example>"),
                 name="held.eml")
    with world.runtime.factory() as session:
        held = session.scalar(select(OutboundMail).where(OutboundMail.status == "held"))
        assert held is not None and held.to_address == "held@customer.example"
        reference = session.get(Case, held.case_id).reference  # type: ignore[union-attr]
        held_id = held.id

    ivy = world.client()
    token = sign_in(ivy, "ivy")
    listing = ivy.get("/acks/held")
    assert reference in listing.text and "held@customer.example" in listing.text
    response = ivy.post(f"/cases/{reference}/release",
                        data={"csrf_token": token, "outbound_id": str(held_id)})
    assert response.status_code == 200 and "The mail will be sent now." in response.text
    assert held_id in world.handed  # handed on to the outbox queue
    world.deliver()

    def sent() -> bool:
        with world.runtime.factory() as session:
            return session.get(OutboundMail, held_id).status == "sent"  # type: ignore[union-attr]

    wait_until(sent, 20, "the released acknowledgment to be sent")
    assert "held@customer.example" not in ivy.get("/acks/held").text


@pytest.mark.slow  # four CLI processes per database
def test_cli_lists_and_releases_held_mail_and_confirms_a_sender(world: ConsoleWorld) -> None:
    ledger_id = _stranger_writes(world)
    world.runtime.settings = world.settings.model_copy(update={"ack_limit_per_hour": 0})
    ingest_bytes(world.runtime, mails.complaint(sender="held@customer.example"), name="h.eml")
    env = _cli_env(world.settings)
    cwd = Path(world.settings.data_dir).parent

    held = json.loads(complaints("acks", "held", "--json", cwd=cwd, env=env).stdout)
    assert [h["to_address"] for h in held] == ["held@customer.example"]
    released = complaints("acks", "release", held[0]["reference"], "--by", "ivy", cwd=cwd,
                          env=env)
    assert released.returncode == 0, released.stderr
    assert json.loads(complaints("acks", "held", "--json", cwd=cwd, env=env).stdout) == []

    shown = json.loads(complaints("cases", "show", REF, "--json", cwd=cwd, env=env).stdout)
    flags = [(c["kind"], c["verified"]) for c in shown["correspondence"]]
    assert ("reply", False) in flags and all(isinstance(v, bool) for _, v in flags)
    confirmed = complaints("cases", "confirm-sender", REF, "--ledger-id", str(ledger_id),
                           "--by", "ivy", cwd=cwd, env=env)
    assert confirmed.returncode == 0, confirmed.stderr
    again = complaints("cases", "confirm-sender", REF, "--ledger-id", str(ledger_id),
                       "--by", "ivy", cwd=cwd, env=env)
    assert again.returncode == 1 and "not an unverified mail" in again.stderr
    shown = json.loads(complaints("cases", "show", REF, "--json", cwd=cwd, env=env).stdout)
    assert {"address": "mallory@evil.example", "verified": True, "source": "staff"} in shown[
        "customer_addresses"]
