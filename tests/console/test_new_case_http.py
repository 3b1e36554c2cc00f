"""The console's *New complaint* form through the real application (issue 13).

Intake staff record a phone complaint (no email: acknowledged verbally) and a counter
complaint with a postal address (a printed acknowledgment in the print queue); with
an email address the acknowledgment mail is handed to the senders. The form needs
the session's CSRF token and the intake role; a handler may not record complaints.
"""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db.models import Case, OutboundMail, PrintLetter
from tests.console.conftest import ConsoleWorld
from tests.support.console import sign_in

PHONE_WORDS = "客户来电：买的电水壶（订单号 DD2026112800789）底部漏水，要求换货。"
COUNTER_WORDS = "The customer came to the counter: the table delivered on Monday is scratched."


def _case(world: ConsoleWorld, reference: str) -> Case:
    with world.runtime.factory() as session:
        return session.scalars(select(Case).where(Case.reference == reference)).one()


def test_intake_records_a_phone_complaint_acknowledged_verbally(world: ConsoleWorld) -> None:
    ivy = world.client()
    token = sign_in(ivy, "ivy")
    form = ivy.get("/cases/new")
    assert form.status_code == 200 and 'action="/cases/new"' in form.text
    assert 'href="/cases/new"' in form.text  # the top bar links to it
    assert "What the customer said" in form.text and "In person" in form.text

    saved = ivy.post("/cases/new", data={
        "csrf_token": token, "channel": "phone", "name": "王芳", "phone": "13800138000",
        "email": "", "address": "", "language": "zh", "text": PHONE_WORDS},
        follow_redirects=False)

    assert saved.status_code == 303
    location = saved.headers["location"]
    assert location.startswith("/cases/CP-") and location.endswith("?done=recorded_ok")
    reference = location.split("/")[2].split("?")[0]
    case = _case(world, reference)
    assert (case.channel, case.taken_by, case.customer_phone) == ("phone", "ivy",
                                                                   "+8613800138000")
    assert case.order_numbers == ["DD2026112800789"] and "replacement" in case.demands
    page = ivy.get(location)
    assert "The complaint is recorded." in page.text
    assert 'data-state="verbal"' in page.text and "given on the phone or in person" in page.text
    assert "Taken by: ivy" in page.text and PHONE_WORDS in page.text
    assert world.handed == []


def test_a_counter_complaint_with_a_postal_address_is_printed(world: ConsoleWorld) -> None:
    ivy = world.client()
    token = sign_in(ivy, "ivy")

    saved = ivy.post("/cases/new", data={
        "csrf_token": token, "channel": "visit", "name": "Tom <b>Baker</b>",
        "address": "12 High Street, Leeds LS1 4AB", "language": "en",
        "text": COUNTER_WORDS + " <script>alert(1)</script>"})

    assert saved.status_code == 200  # followed to the case page
    assert "printed letter waiting in the print queue" in saved.text
    assert "<script>alert(1)</script>" not in saved.text and "Tom &lt;b&gt;Baker" in saved.text
    with world.runtime.factory() as session:
        letter = session.scalars(select(PrintLetter)).one()
        case = session.get(Case, letter.case_id)
        assert case is not None and case.channel == "visit" and letter.kind == "acknowledgment"
        assert "12 High Street" in letter.recipient


def test_with_an_email_the_acknowledgment_is_handed_to_the_senders(
    world: ConsoleWorld,
) -> None:
    ivy = world.client()
    token = sign_in(ivy, "ivy")

    ivy.post("/cases/new", data={
        "csrf_token": token, "channel": "other", "name": "Sam Lee",
        "email": "sam@customer.example", "language": "en", "text": COUNTER_WORDS})

    with world.runtime.factory() as session:
        mail = session.scalars(select(OutboundMail).where(
            OutboundMail.to_address == "sam@customer.example")).one()
    assert mail.kind == "acknowledgment" and world.handed == [mail.id]


def test_the_form_needs_csrf_and_the_intake_role(world: ConsoleWorld) -> None:
    ivy = world.client()
    sign_in(ivy, "ivy")
    no_token = ivy.post("/cases/new", data={"channel": "phone", "name": "X", "text": "Y"})
    assert no_token.status_code == 403

    quinn = world.client()
    quinn_token = sign_in(quinn, "quinn")
    assert quinn.get("/cases/new").status_code == 403
    refused = quinn.post("/cases/new", data={"csrf_token": quinn_token, "channel": "phone",
                                              "name": "X", "text": "Y"})
    assert refused.status_code == 403
    assert 'href="/cases/new"' not in quinn.get("/department").text


def test_a_form_missing_the_words_is_shown_again_with_the_reason(world: ConsoleWorld) -> None:
    ivy = world.client()
    token = sign_in(ivy, "ivy")
    with world.runtime.factory() as session:
        before = len(session.scalars(select(Case)).all())

    again = ivy.post("/cases/new", data={"csrf_token": token, "channel": "phone",
                                          "name": "王芳", "phone": "13800138000", "text": ""})

    assert again.status_code == 422 and "请填写客户的投诉内容" in again.text
    assert 'value="13800138000"' in again.text  # nothing typed is lost
    with world.runtime.factory() as session:
        assert len(session.scalars(select(Case)).all()) == before
