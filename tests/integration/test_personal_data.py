"""A customer's personal data: exported whole, then erased from the database, the data
directory and the logs, with the statistics unchanged; the retention period does the same."""

from __future__ import annotations

import email
import email.policy
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import JSON, LargeBinary, String, Text, inspect, select
from sqlalchemy.orm import Session

from config.departments import load_departments
from config.logging_setup import ExtrasFormatter
from config.policies import load_policies
from config.settings import Settings
from pipeline.db.base import Base, utcnow
from pipeline.db.models import (
    Case,
    CaseFacts,
    DailyFigures,
    InboundMail,
    Notice,
    OutboundMail,
    PrintLetter,
    StaffAudit,
)
from pipeline.followup.surveys import record_answer, send_follow_up
from pipeline.outbound.printing import print_batch
from pipeline.privacy.export import write_directory
from pipeline.privacy.holdings import Person
from pipeline.privacy.requests import erase_person, export_person
from pipeline.reports.periods import parse_period
from pipeline.reports.statistics import gather
from pipeline.resolution.closure import record_agreement
from pipeline.resolution.proposals import Proposal
from pipeline.resolution.workflow import approve_proposal, submit_proposal
from pipeline.review.routing import RoutingDecision, decide_not_ours, route_case
from tests.support import mails
from tests.support.scans import ZH_NO_EMAIL, scanned_jpeg
from workers.app import build_runtime
from workers.inline import ingest_bytes, read_scan_now
from workers.runtime import Runtime
from workers.scan_poller import ScanFolderPoller
from workers.scheduler import run_timed_work

SENDER = "王建国 <wangjianguo@customer.example>"
PHONE = "13800138000"  # the same number the scanned letter gives
STORY = "紫砂电饭煲内胆涂层脱落"
ADDRESS = "浙江省杭州市西湖区文三路88号3单元502室"
PHOTO = b"PHOTO-OF-WANGJIANGUO-RICE-COOKER"
# Everything of theirs that must not be left anywhere (text, bytes, files, logs).
NEEDLES = ("王建国", "wangjianguo", PHONE, "文三路", STORY, "PHOTO-OF-WANGJIANGUO")
STATUSES = {"new", "routed", "proposed", "approved", "closed", "not_ours"}


class Collected(logging.Handler):
    """Every log line as production formats it, extras included."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(ExtrasFormatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Collected]:
    handler, root = Collected(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _complaint(number: int, *, photo: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = f"投诉{number}：{STORY}"
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content(f"您好，我买的{STORY}，第{number}次投诉，请退货。\n"
                    f"电话：{PHONE}\n地址：{ADDRESS}\n王建国\n")
    if photo:
        msg.add_attachment(PHOTO, maintype="image", subtype="jpeg", filename="王建国.jpg")
    return bytes(msg)


def _latest(session: Session) -> Case:
    case = session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None
    return case


def _customer_in_every_status(runtime: Runtime) -> None:
    """Six mailed complaints taken one step further each, and a scanned letter by post."""
    settings = runtime.settings
    departments, policies = load_departments(settings), load_policies(settings)
    now = utcnow()
    for number, target in enumerate(("new", "routed", "proposed", "approved", "closed",
                                     "not_ours")):
        ingest_bytes(runtime, _complaint(number, photo=number == 0), name=f"{number}.eml")
        with runtime.factory() as session, session.begin():
            case = _latest(session)
            if target == "not_ours":
                decide_not_ours(session, case=case, settings=settings, by="alice", now=now,
                                explanation=f"王建国先生，{STORY}属于快递公司责任，请联系快递公司。")
                continue
            if target == "new":
                continue
            case.category, case.severity = "quality", "normal"  # required before routing
            route_case(session, case=case, decision=RoutingDecision(department="quality"),
                       settings=settings, departments=departments, policies=policies,
                       by="alice", now=now)
            if target == "routed":
                continue
            proposal = Proposal(findings=f"王建国的{STORY}确有质量问题", method="compensation",
                                loss_amount="899", compensation_amount="5000",
                                answers=[(STORY, "同意赔偿")])
            resolution = submit_proposal(session, case=case, proposal=proposal,
                                         settings=settings, policies=policies,
                                         department_name="Quality", by="quinn", now=now)
            assert resolution.status == "proposed"
            if target == "proposed":
                continue
            approve_proposal(session, case=case, instructions="", settings=settings,
                             department_name="Quality", by="boss", now=now)
            if target == "approved":
                continue
            record_agreement(session, case=case, via="phone", by="alice", note="", now=now,
                             policies=policies)
            send_follow_up(session, case_id=case.id, settings=settings, secret="k" * 40,
                           survey_url="https://x/survey", now=now)
            record_answer(session, case=case, score=4, comment=f"王建国：{STORY}处理得不错",
                          via="link", now=now)
    # The same customer's paper letter, from the scanner's folder: answered by post.
    folder = Path(settings.scans_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "letter.jpg").write_bytes(scanned_jpeg(ZH_NO_EMAIL))
    poller = ScanFolderPoller(settings=settings, session_factory=runtime.factory,
                              enqueue=lambda ids: None, holder="test")
    (scan_id,) = poller.poll_once()
    read_scan_now(runtime, scan_id)
    print_batch(runtime.factory, out_path=Path(settings.data_dir) / "print" / "batch-1.pdf")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


def _texts(session: Session) -> Iterator[tuple[str, str]]:
    """(table.column, value) of every text, JSON and binary value in the database."""
    for mapper in Base.registry.mappers:
        model = mapper.class_
        columns = [c for c in inspect(model).columns
                   if isinstance(c.type, String | Text | JSON | LargeBinary)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, bytes):
                    shown = value.decode("utf-8", "replace")
                elif isinstance(value, dict | list):
                    shown = json.dumps(value, ensure_ascii=False)
                else:
                    shown = str(value or "")
                yield f"{model.__tablename__}.{column.name}", shown


def _left_in_database(runtime: Runtime) -> list[str]:
    with runtime.factory() as session:
        return [f"{where}: {needle}" for where, shown in _texts(session)
                for needle in NEEDLES if needle in shown]


def _file_text(path: Path) -> str:
    """The file as bytes, and decoded the way a reader would see it (mail parts, PDF text)."""
    raw = path.read_bytes()
    parts = [raw.decode("utf-8", "replace")]
    if path.suffix == ".eml":
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts += [str(v) for v in message.values()]
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode("utf-8", "replace"))
    if path.suffix == ".pdf":
        parts += [page.extract_text() for page in PdfReader(path).pages]
    return "\n".join(parts)


def _left_on_disk(root: Path) -> list[str]:
    return [f"{path.relative_to(root)}: {needle}" for path in sorted(root.rglob("*"))
            if path.is_file() for needle in NEEDLES if needle in _file_text(path)]


def _statistics(runtime: Runtime) -> tuple[Any, ...]:
    period = parse_period(utcnow().strftime("%Y-%m"), runtime.settings.time_zone)
    with runtime.factory() as session, session.begin():
        figures = gather(session, period)
        facts = sorted(tuple(getattr(f, c.key) for c in inspect(CaseFacts).column_attrs)
                       for f in session.scalars(select(CaseFacts)))
        days = sorted(tuple(getattr(d, c.key) for c in inspect(DailyFigures).column_attrs
                            if c.key != "id") for d in session.scalars(select(DailyFigures)))
    return figures, facts, days


def test_export_then_erase_a_customer_with_cases_in_every_status(
    runtime: Runtime, logs: Collected, tmp_path: Path
) -> None:
    ingest_bytes(runtime, mails.complaint(), name="other.eml")  # Jane Smith stays
    _customer_in_every_status(runtime)
    ingest_bytes(runtime, mails.complaint(  # their out-of-office reply: mail with no case
        sender=SENDER, subject=f"自动回复：{STORY}", body=f"王建国不在办公室。{ADDRESS}",
        headers={"Auto-Submitted": "auto-replied"}), name="away.eml")
    data = Path(runtime.settings.data_dir)
    with runtime.factory() as session:
        statuses = {c.status for c in session.scalars(select(Case))
                    if c.customer_phone.endswith(PHONE)}
        assert session.scalar(select(PrintLetter.id)) is not None  # the letter goes by post
        assert session.scalar(select(Notice.id)) is not None
    assert statuses == STATUSES
    assert _left_on_disk(data) and _left_in_database(runtime)  # the test can see them
    person = Person.named(None, f"+86 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")

    export = export_person(runtime.factory, settings=runtime.settings, person=person, by="ada")
    assert export is not None
    out = tmp_path / "export"
    write_directory(export, out)
    exported = json.loads((out / "data.json").read_text("utf-8"))
    assert {c["status"] for c in exported["cases"]} == STATUSES
    assert len(exported["cases"]) == 7 and len(exported["mails"]) == 7
    assert len(exported["scans"]) == 1
    assert all((out / m["file"]).read_bytes().startswith(b"From: ") or b"From:" in
               (out / m["file"]).read_bytes() for m in exported["mails"])
    assert PHOTO in [(out / a["file"]).read_bytes() for a in exported["attachments"]]
    assert any(n.startswith("letters/") for n in export.files)  # notices and printed letters
    sent = [m for c in exported["cases"] for m in c["sent_mail"]]
    assert sent and all((out / m["file"]).is_file() for m in sent)
    assert any(c["correspondence"] and STORY in c["correspondence"][0]["body_text"]
               for c in exported["cases"])

    before = _statistics(runtime)
    erased = erase_person(runtime.factory, settings=runtime.settings, person=person,
                          reason="customer asked (ticket 42)", by="ada")
    assert len(erased.references) == 7 and erased.mails == 7 and erased.files_deleted >= 8

    assert _left_in_database(runtime) == []
    assert _left_on_disk(data) == []
    assert [line for line in logs.lines if any(n in line for n in NEEDLES)] == []
    assert _statistics(runtime) == before
    with runtime.factory() as session:
        mine = [m for m in session.scalars(select(InboundMail)) if m.case_id is None
                or session.get(Case, m.case_id).erased_at is not None]  # type: ignore[union-attr]
        assert len(mine) == 7 and all(m.raw == b"" for m in mine)
        assert all(m.raw == b"" for m in session.scalars(select(OutboundMail)) if m.to_address
                   == "[erased]")
        references = {c.reference for c in session.scalars(select(Case))
                      if c.erased_at is not None}
        assert references == set(erased.references)
        jane = session.scalars(select(Case).where(Case.erased_at.is_(None))).one()
        assert jane.customer_name == "Jane Smith" and "kettle" in jane.what_happened
        (audit,) = session.scalars(select(StaffAudit)
                                   .where(StaffAudit.action == "personal_data_erased"))
        assert audit.actor == "ada" and sorted(audit.detail["cases"]) == sorted(references)
        assert audit.detail["reason"] == "customer asked (ticket 42)"

    # A second request finds nothing and changes nothing.
    again = erase_person(runtime.factory, settings=runtime.settings, person=person,
                         reason="again", by="ada")
    assert again.references == [] and again.files_deleted == 0
    assert export_person(runtime.factory, settings=runtime.settings, person=person,
                         by="ada") is None
    assert _statistics(runtime) == before


def test_retention_erases_cases_closed_long_ago_by_itself(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"retention_years": 2.0})
    runtime = build_runtime(settings)
    try:
        _customer_in_every_status(runtime)
        away = ingest_bytes(runtime, mails.complaint(
            sender=SENDER, subject=f"自动回复：{STORY}", body=f"王建国不在办公室。{ADDRESS}",
            headers={"Auto-Submitted": "auto-replied"}), name="away.eml")
        with runtime.factory() as session:
            closed = {c.reference for c in session.scalars(select(Case))
                      if c.closed_at is not None}
            assert session.get(InboundMail, away.inbound_id).case_id is None  # type: ignore[union-attr]
        assert len(closed) == 2  # the agreed case and the one that was not ours

        a_year_on = run_timed_work(runtime, now=utcnow() + timedelta(days=365))
        assert a_year_on.erased == []
        three_years_on = run_timed_work(runtime, now=utcnow() + timedelta(days=3 * 365))
        assert sorted(three_years_on.erased) == sorted(closed)
        assert run_timed_work(runtime, now=utcnow() + timedelta(days=3 * 365)).erased == []
        with runtime.factory() as session:
            for case in session.scalars(select(Case)):
                if case.reference in closed:
                    assert case.customer_name in ("[erased]", "") and case.erased_at
                    assert STORY not in case.what_happened
                else:  # still open: kept whole
                    assert case.erased_at is None and PHONE in case.customer_phone
            mail = session.get(InboundMail, away.inbound_id)
            assert mail is not None and mail.raw == b"" and "王建国" not in mail.from_address
            audits = list(session.scalars(select(StaffAudit)))
            assert len(audits) == 2  # the closed cases, then the mail that opened no case
            assert {(a.actor, a.action) for a in audits} == {("retention", "retention_erased")}
    finally:
        runtime.engine.dispose()


def test_intake_logs_hold_no_customer_content(runtime: Runtime, logs: Collected) -> None:
    """Complaint, reply, oversized and broken mail: the log lines name ids, never people."""
    for name in ("pipeline", "workers"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    logs.setLevel(logging.DEBUG)
    try:
        first = ingest_bytes(runtime, _complaint(1, photo=True), name="a.eml")
        with runtime.factory() as session:
            inbound = session.get(InboundMail, first.inbound_id)
            assert inbound is not None and inbound.case_id is not None
            original = inbound.message_id
        ingest_bytes(runtime, mails.reply(to_message_id=original, subject=f"Re: {STORY}",
                                          body=f"王建国补充：{STORY}，电话 {PHONE}。",
                                          sender=SENDER),
                     name="b.eml")
        tight = build_runtime(runtime.settings.model_copy(update={"max_mime_parts": 1}))
        try:
            held = ingest_bytes(tight, _complaint(2, photo=True), name="c.eml")
            with tight.factory() as session:
                assert session.get(InboundMail, held.inbound_id).status == "quarantined"  # type: ignore[union-attr]
        finally:
            tight.engine.dispose()
        ingest_bytes(runtime, f"From: 王建国 <wangjianguo@customer.example>\r\nSubject: {STORY}"
                     f"\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n{ADDRESS}"
                     .encode(), name="d.eml")
    finally:
        for name in ("pipeline", "workers"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert any("mail processed" in line for line in logs.lines)  # the logs were captured
    assert [line for line in logs.lines if any(n in line for n in NEEDLES)] == []
