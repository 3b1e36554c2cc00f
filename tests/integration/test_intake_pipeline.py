"""Intake end to end through the services, on SQLite and on PostgreSQL.

Each test takes mail in with ``ingest_bytes`` (record -> process -> send), exactly what
the queue does, and checks the database and the outbox folder.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from pipeline.cases.queries import case_detail, list_cases, list_quarantined
from pipeline.db.base import utcnow
from pipeline.db.models import Case, CaseEvent, Correspondence, InboundMail, OutboundMail
from pipeline.intake.process import claim_inbound, claim_many, process_inbound, process_many
from pipeline.jobs import INBOUND, Claim
from pipeline.mailbox.ledger import record_mail
from pipeline.outbound.acknowledge import decide_acknowledgment
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime


def outbox(settings: Settings) -> list[email.message.EmailMessage]:
    folder = Path(settings.outbox_dir)
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def count(runtime: Runtime, model: type) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def only_case(runtime: Runtime) -> Case:
    with runtime.factory() as session:
        cases = list(session.scalars(select(Case)))
    assert len(cases) == 1
    return cases[0]


def test_complaint_opens_case_and_sends_one_acknowledgment(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN a complaint mail WHEN it is taken in THEN one case and one acknowledgment exist."""
    ingest_bytes(runtime, mails.complaint(), name="a.eml")

    case = only_case(runtime)
    assert case.reference.startswith(f"CP-{utcnow().year}-")
    assert case.channel == "email" and case.status == "new" and case.language == "en"
    assert case.customer_email == "jane@customer.example"
    assert "AB-12345678" in case.order_numbers
    sent = outbox(settings)
    assert len(sent) == 1
    ack = sent[0]
    assert case.reference in ack["Subject"]
    assert ack["To"].addresses[0].addr_spec == "jane@customer.example"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["In-Reply-To"]
    assert settings.loop_header in ack


def test_acknowledgment_asks_for_phone_in_customer_language(
    runtime: Runtime, settings: Settings
) -> None:
    ingest_bytes(
        runtime,
        mails.complaint(
            sender="张伟 <zhangwei@customer.example>",
            subject="洗衣机外壳破损",
            body="您好：\n\n我收到的洗衣机外壳破损，希望换货。\n\n张伟\n",
        ),
        name="zh.eml",
    )
    case = only_case(runtime)
    assert case.language == "zh"
    body = outbox(settings)[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert case.reference in body
    assert "电话" in body


def test_same_mail_twice_makes_one_case(runtime: Runtime, settings: Settings) -> None:
    raw = mails.complaint()
    ingest_bytes(runtime, raw, name="a.eml")
    second = ingest_bytes(runtime, raw, name="a-again.eml")

    assert second.is_new is False
    assert count(runtime, Case) == 1
    assert len(outbox(settings)) == 1


def test_same_message_id_with_other_bytes_is_a_duplicate(
    runtime: Runtime, settings: Settings
) -> None:
    """The same mail delivered by two routes differs in its Received lines only."""
    raw = mails.complaint(message_id="<dup-1@customer.example>")
    ingest_bytes(runtime, raw, name="a.eml")
    ingest_bytes(runtime, b"Received: from relay2.example\r\n" + raw, name="b.eml")

    assert count(runtime, Case) == 1
    assert len(outbox(settings)) == 1
    with runtime.factory() as session:
        kinds = sorted(session.scalars(select(InboundMail.classification)))
    assert kinds == ["complaint", "duplicate"]


def test_reply_with_phone_threads_into_case(runtime: Runtime, settings: Settings) -> None:
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    case = only_case(runtime)
    ack = outbox(settings)[0]

    ingest_bytes(
        runtime,
        mails.reply(
            to_message_id=ack["Message-ID"],
            subject=f"Re: {ack['Subject']}",
            body="You can reach me on 139 1234 5678.\n\nOn Mon, Customer Service wrote:\n> quoted",
            sender="Jane Smith <jane@customer.example>",
        ),
        name="reply.eml",
    )

    assert count(runtime, Case) == 1
    assert len(outbox(settings)) == 1
    with runtime.factory() as session:
        updated = session.get(Case, case.id)
        replies = list(
            session.scalars(select(Correspondence).where(Correspondence.kind == "reply"))
        )
    assert updated is not None and updated.customer_phone == "+8613912345678"
    assert len(replies) == 1 and "quoted" not in replies[0].body_text


def test_reply_found_by_reference_in_subject(runtime: Runtime, settings: Settings) -> None:
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    case = only_case(runtime)

    ingest_bytes(
        runtime,
        mails.reply(
            to_message_id=None,
            subject=f"回复：{case.reference} 我的电话",
            body="我的电话是 13800138000",
            sender="jane@customer.example",
        ),
        name="r.eml",
    )

    assert count(runtime, Case) == 1
    with runtime.factory() as session:
        assert session.get(Case, case.id).customer_phone == "+8613800138000"  # type: ignore[union-attr]


def test_out_of_office_reply_to_acknowledgment_makes_no_loop(
    runtime: Runtime, settings: Settings
) -> None:
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    ack = outbox(settings)[0]

    ingest_bytes(
        runtime,
        mails.reply(
            to_message_id=ack["Message-ID"],
            subject=f"Automatic reply: {ack['Subject']}",
            body="I am out of the office until Monday.",
            sender="jane@customer.example",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        name="ooo.eml",
    )

    assert count(runtime, Case) == 1
    assert len(outbox(settings)) == 1
    with runtime.factory() as session:
        kinds = list(
            session.scalars(select(Correspondence.kind).where(Correspondence.direction == "in"))
        )
    assert kinds == ["complaint", "auto_reply"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"List-Id": "<news.shop.example>"},
        {"X-Autoreply": "yes"},
        {"X-Auto-Response-Suppress": "OOF"},
        {"Auto-Submitted": "auto-generated"},
    ],
)
def test_automatic_mail_gets_no_case_and_no_acknowledgment(
    runtime: Runtime, settings: Settings, headers: dict[str, str]
) -> None:
    ingest_bytes(runtime, mails.complaint(headers=headers), name="auto.eml")

    assert count(runtime, Case) == 0
    assert outbox(settings) == []
    with runtime.factory() as session:
        inbound = session.scalars(select(InboundMail)).one()
    assert inbound.classification == "automatic" and inbound.detail


def test_bounce_of_acknowledgment_marks_address_undeliverable(
    runtime: Runtime, settings: Settings
) -> None:
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    ack = outbox(settings)[0]

    ingest_bytes(runtime, mails.bounce_of(ack["Message-ID"], "jane@customer.example"), name="b.eml")

    case = only_case(runtime)
    assert case.email_undeliverable is True
    assert "bounced" in case.attention
    assert len(outbox(settings)) == 1


def test_gbk_mail_labelled_gb2312_keeps_exact_chinese(runtime: Runtime, settings: Settings) -> None:
    text = "我是李喆，订购的电饭煲（订单号 JD-20261103888）退款没有到账，请尽快退款。镕堃犇\n"
    ingest_bytes(
        runtime,
        mails.gbk_labelled_gb2312(
            text, subject="退款没有到账 喆", name="李喆", address="lizhe@customer.example"
        ),
        name="gbk.eml",
    )

    case = only_case(runtime)
    assert "李喆" in case.what_happened and "镕堃犇" in case.what_happened
    assert case.subject == "退款没有到账 喆"
    assert case.customer_name == "李喆"
    assert "refund" in case.demands
    assert case.attention == ""


def test_oversized_mail_is_quarantined_with_reason(runtime: Runtime, settings: Settings) -> None:
    small = settings.model_copy(update={"max_mail_bytes": 2000})
    runtime.settings = small
    ingest_bytes(runtime, mails.complaint(body="x" * 5000), name="big.eml")

    assert count(runtime, Case) == 0
    with runtime.factory() as session:
        rows = list_quarantined(session)
    assert len(rows) == 1
    assert rows[0].quarantine_reason
    with runtime.factory() as session:
        assert session.get(InboundMail, rows[0].ledger_id).raw.startswith(b"From:")  # type: ignore[union-attr]


def test_garbage_is_quarantined_and_next_mail_still_works(
    runtime: Runtime, settings: Settings
) -> None:
    ingest_bytes(runtime, b"\x00\xff\xfe not a mail at all \x00" * 10, name="junk.eml")
    ingest_bytes(runtime, mails.complaint(), name="ok.eml")

    assert count(runtime, Case) == 1
    with runtime.factory() as session:
        assert len(list_quarantined(session)) == 1


def test_rate_limit_stops_acknowledgments_but_not_cases(
    runtime: Runtime, settings: Settings
) -> None:
    runtime.settings = settings.model_copy(update={"ack_limit_per_address": 3})
    for n in range(5):
        ingest_bytes(runtime, mails.complaint(subject=f"Complaint number {n}"), name=f"{n}.eml")

    assert count(runtime, Case) == 5
    assert len(outbox(settings)) == 3


def process_as_one_batch(runtime: Runtime, raws: list[bytes]) -> list[int]:
    """Record the mails, then process them in one batch (one transaction, one flush):
    the acknowledgments still pending in the session must count against the limits."""
    with runtime.factory() as session, session.begin():
        ids = [record_mail(session, raw=raw, source="test").inbound_id for raw in raws]
    held = claim_many(runtime.factory, inbound_ids=ids, settings=runtime.settings)
    outcomes = process_many(runtime.factory, held=held, settings=runtime.settings)
    return [o for outcome in outcomes for o in outcome.outbound_ids]


def test_the_per_address_limit_counts_acknowledgments_of_the_same_batch(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN five complaints from one address in one worker batch and a limit of three
    THEN five cases, three acknowledgments, two suppressed with the reason."""
    runtime.settings = settings.model_copy(update={"ack_limit_per_address": 3})
    raws = [mails.complaint(subject=f"Complaint number {n}") for n in range(5)]

    queued = process_as_one_batch(runtime, raws)

    assert count(runtime, Case) == 5
    assert len(queued) == 3
    with runtime.factory() as session:
        reasons = session.scalars(select(CaseEvent.detail).where(
            CaseEvent.action == "acknowledgment_suppressed")).all()
    assert [r["reason"] for r in reasons] == [
        "Too many automatic replies to this address recently."] * 2


def test_two_copies_in_one_batch_make_one_case(runtime: Runtime, settings: Settings) -> None:
    """GIVEN the same mail by two routes (same Message-ID, other bytes) in one worker
    batch THEN the first opens the case and the second is its duplicate, by the claim."""
    raw = mails.complaint(message_id="<batch-dup@customer.example>")

    queued = process_as_one_batch(runtime, [raw, b"Received: from relay2.example\r\n" + raw])

    assert count(runtime, Case) == 1
    assert len(queued) == 1
    with runtime.factory() as session:
        rows = session.execute(select(InboundMail.id, InboundMail.classification,
                                      InboundMail.detail).order_by(InboundMail.id)).all()
    assert [r.classification for r in rows] == ["complaint", "duplicate"]
    assert rows[1].detail == f"Same Message-ID as ledger mail #{rows[0].id}."


def test_the_hourly_budget_counts_acknowledgments_of_the_same_batch(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN four complaints from four addresses in one batch and a budget of two an
    hour THEN two acknowledgments are queued and two are held for staff."""
    runtime.settings = settings.model_copy(update={"ack_limit_per_hour": 2})
    raws = [mails.complaint(sender=f"c{n}@customer.example", subject=f"Problem {n}")
            for n in range(4)]

    queued = process_as_one_batch(runtime, raws)

    assert count(runtime, Case) == 4
    assert len(queued) == 2
    with runtime.factory() as session:
        held = session.scalars(select(OutboundMail.status).where(
            OutboundMail.status == "held")).all()
    assert len(held) == 2


def statements_with(runtime: Runtime, *parts: str) -> list[str]:
    """Every statement run from now on that contains all of ``parts``, in order."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if all(part in statement for part in parts):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", note)
    return seen


def hourly_counts(runtime: Runtime) -> list[str]:
    """Every statement that counts the last hour's automatic mail, as it is run."""
    return statements_with(runtime, "outbound_mail.status !=")


def test_the_hourly_budget_is_read_once_per_batch_on_postgresql(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN a batch of three complaints on PostgreSQL THEN the last hour's automatic
    mail is counted once, not per complaint: that count reads every row of the hour, and
    in a flood it was the database's main work per mail. (SQLite flushes each new row to
    learn its id, and a flush makes the next decision count again.)"""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite every new row is flushed, and each flush means a new count")
    counted = hourly_counts(runtime)

    queued = process_as_one_batch(runtime, [
        mails.complaint(sender=f"a{n}@customer.example", subject=f"First {n}") for n in range(3)])

    assert len(queued) == 3
    assert len(counted) == 1


def test_the_next_batch_counts_the_budget_used_by_the_last(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN a budget of three an hour, a batch of two complaints, then another of two
    THEN the second batch counts the first one's acknowledgments: one queued, one held."""
    runtime.settings = settings.model_copy(update={"ack_limit_per_hour": 3})

    first = process_as_one_batch(runtime, [
        mails.complaint(sender=f"a{n}@customer.example", subject=f"First {n}") for n in range(2)])
    second = process_as_one_batch(runtime, [
        mails.complaint(sender=f"b{n}@customer.example", subject=f"Second {n}") for n in range(2)])

    assert (len(first), len(second)) == (2, 1)
    with runtime.factory() as session:
        held = session.scalars(select(OutboundMail.to_address).where(
            OutboundMail.status == "held")).all()
    assert held == ["b1@customer.example"]


def flush_an_acknowledgment(session: Session, *, number: int, to_address: str) -> None:
    """A case and its pending acknowledgment to ``to_address``, written by a flush."""
    case = Case(reference=f"CP-TEST-{number}", status="new", channel="email", language="en",
                received_at=utcnow())
    session.add(case)
    session.add(OutboundMail(case=case, kind="acknowledgment", dedupe_key=f"t-{number}",
                             message_id=f"<t-{number}@shop.example>", to_address=to_address,
                             subject="s", raw=b"", auto_reply=True, status="pending"))
    session.flush()


def test_the_hourly_budget_counts_mail_flushed_after_it_was_read(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN a budget of one, a decision, then its acknowledgment written by a flush in
    the same transaction THEN the next decision sees it (it left ``session.new``, where
    the known count looked) and holds."""
    budget = settings.model_copy(update={"ack_limit_per_hour": 1})
    now = utcnow()
    with runtime.factory() as session, session.begin():
        first = decide_acknowledgment(session, settings=budget, to_address="x@customer.example",
                                      mail_date=now, now=now)
        flush_an_acknowledgment(session, number=1, to_address="x@customer.example")
        second = decide_acknowledgment(session, settings=budget,
                                       to_address="y@customer.example", mail_date=now, now=now)

    assert (first.send, first.hold) == (True, False)
    assert (second.send, second.hold) == (True, True)


def test_old_mail_from_backfill_gets_no_acknowledgment(
    runtime: Runtime, settings: Settings
) -> None:
    ingest_bytes(runtime, mails.complaint(date=utcnow() - timedelta(days=30)), name="old.eml")

    assert count(runtime, Case) == 1
    assert outbox(settings) == []
    with runtime.factory() as session:
        detail = case_detail(session, only_case(runtime).reference)
    assert detail is not None
    assert any(e["action"] == "acknowledgment_suppressed" for e in detail["events"])


def test_processing_twice_is_a_no_op(runtime: Runtime, settings: Settings) -> None:
    result = ingest_bytes(runtime, mails.complaint(), name="a.eml")

    assert claim_inbound(runtime.factory, inbound_id=result.inbound_id, settings=settings) is None
    old_claim = Claim(kind=INBOUND, token="a-claim-that-ended", ids=(result.inbound_id,))
    again = process_inbound(runtime.factory, held=old_claim, settings=settings)

    assert again.classification == "already-done"
    assert count(runtime, Case) == 1
    assert count(runtime, OutboundMail) == 1


def test_references_are_sequential(runtime: Runtime, settings: Settings) -> None:
    for n in range(3):
        ingest_bytes(
            runtime,
            mails.complaint(sender=f"c{n}@customer.example", subject=f"s{n}"),
            name=f"{n}.eml",
        )
    with runtime.factory() as session:
        refs = [c.reference for c in list_cases(session)]
    year = utcnow().year
    assert refs == [f"CP-{year}-000001", f"CP-{year}-000002", f"CP-{year}-000003"]


def test_our_own_acknowledgment_coming_back_opens_nothing(
    runtime: Runtime, settings: Settings
) -> None:
    """A mail system that strips our loop headers and sends our mail back to us."""
    ingest_bytes(runtime, mails.complaint(), name="a.eml")
    ack = next(Path(settings.outbox_dir).glob("*.eml")).read_bytes()
    stripped = b"\r\n".join(
        line
        for line in ack.split(b"\r\n")
        if not line.lower().startswith((b"x-complaints-loop", b"auto-submitted", b"x-auto-resp"))
    )

    ingest_bytes(runtime, stripped, name="echo.eml")

    assert count(runtime, Case) == 1
    assert len(outbox(settings)) == 1
    with runtime.factory() as session:
        echo = session.scalars(select(InboundMail).order_by(InboundMail.id.desc())).first()
    assert echo is not None and "our own" in echo.detail


def counts_asked(runtime: Runtime) -> list[str]:
    """Every statement that counts an address's automatic mail, as it is run."""
    return statements_with(runtime, "outbound_mail.to_address =", "count(")


def test_a_new_case_asks_the_acknowledgment_limits_with_its_numbers_on_postgresql(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN three complaints in one batch on PostgreSQL THEN each case's numbers and
    its acknowledgment's limits come in one SELECT: no statement of its own for the
    counts (one round trip per complaint less), and the acknowledgments go out."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite numbers a case without a SELECT: the counts are asked apart")
    asked = counts_asked(runtime)

    queued = process_as_one_batch(runtime, [
        mails.complaint(sender=f"n{n}@customer.example", subject=f"Numbers {n}")
        for n in range(3)])

    assert len(queued) == 3
    assert len(asked) == 3
    assert all("nextval(" in statement for statement in asked)


def test_counts_asked_with_the_numbers_are_read_again_after_a_flush(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN counts kept for an address WHEN a flush writes an acknowledgment to it
    before the decision THEN the decision counts again and sees it (the kept answer
    was read before that row was in the table, and it has left ``session.new``)."""
    from pipeline.outbound.acknowledge import counts_to_ask, keep_counts

    one = settings.model_copy(update={"ack_limit_per_address": 1})
    now = utcnow()
    with runtime.factory() as session, session.begin():
        asked = counts_to_ask(session, settings=one, to_address="k@customer.example", now=now)
        answer = session.connection().execute(asked.statement, asked.params).one()
        keep_counts(session, asked, answer)
        flush_an_acknowledgment(session, number=2, to_address="k@customer.example")
        decision = decide_acknowledgment(session, settings=one, to_address="k@customer.example",
                                         mail_date=now, now=now)

    assert (decision.send, decision.reason) == (
        False, "Too many automatic replies to this address recently.")


def test_counts_kept_for_one_address_are_not_used_for_another(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN counts kept for one address that has used its limit THEN a decision about
    another address counts its own and acknowledges."""
    from pipeline.outbound.acknowledge import counts_to_ask, keep_counts

    one = settings.model_copy(update={"ack_limit_per_address": 1})
    now = utcnow()
    with runtime.factory() as session, session.begin():
        asked = counts_to_ask(session, settings=one, to_address="full@customer.example",
                              now=now)
        keep_counts(session, asked, (5, 0, 0))  # as if that address had five already
        other = decide_acknowledgment(session, settings=one, to_address="new@customer.example",
                                      mail_date=now, now=now)

    assert other.send


def test_mail_refused_without_counting_asks_no_counts(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN two old mails (an imported backlog) THEN their cases are numbered without
    the acknowledgment limits' counts: they will not be acknowledged, and counting the
    last hour's mail reads every row of it."""
    asked = counts_asked(runtime)

    queued = process_as_one_batch(runtime, [
        mails.complaint(sender=f"old{n}@customer.example", subject=f"Old {n}",
                        date=utcnow() - timedelta(days=30)) for n in range(2)])

    assert count(runtime, Case) == 2
    assert queued == []
    assert asked == []


def test_a_new_complaint_claims_its_message_id_with_its_numbers_on_postgresql(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN three complaints in one batch on PostgreSQL THEN each claims its Message-ID
    in the SELECT that takes its case's numbers: no statement of its own for the claim
    (one round trip per complaint less)."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite numbers a case without a SELECT: the claim is made apart")
    claims = statements_with(runtime, "INSERT INTO message_id_claims")

    queued = process_as_one_batch(runtime, [
        mails.complaint(sender=f"m{n}@customer.example", message_id=f"<m{n}@customer.example>")
        for n in range(3)])

    assert len(queued) == 3
    assert len(claims) == 3
    assert all("nextval(" in statement for statement in claims)


def test_a_copy_refused_by_the_claim_takes_no_reference(
    runtime: Runtime, settings: Settings
) -> None:
    """GIVEN a complaint processed, then a copy of it (same Message-ID, other bytes),
    then another complaint THEN the copy is a duplicate of the first and the next case
    has the next reference: a copy leaves no gap in the numbers."""
    raw = mails.complaint(message_id="<gapless@customer.example>")
    process_as_one_batch(runtime, [raw])
    process_as_one_batch(runtime, [b"Received: from relay2.example\r\n" + raw])
    process_as_one_batch(runtime, [mails.complaint(sender="next@customer.example",
                                                   message_id="<next@customer.example>")])

    with runtime.factory() as session:
        references = session.scalars(select(Case.reference).order_by(Case.id)).all()
        rows = session.execute(select(InboundMail.classification, InboundMail.case_id)
                               .order_by(InboundMail.id)).all()
    numbers = [int(reference.rsplit("-", 1)[1]) for reference in references]
    assert numbers == [numbers[0], numbers[0] + 1]
    assert [r.classification for r in rows] == ["complaint", "duplicate", "complaint"]
    assert rows[1].case_id == rows[0].case_id
