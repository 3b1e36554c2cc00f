"""The statistics of a period, figure by figure, against an independent count in Python."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from config.departments import load_departments
from config.policies import load_policies
from pipeline.db.models import Case, CaseDeadline, FollowUp, OutboundMail, Resolution
from pipeline.followup.surveys import record_answer, send_follow_up
from pipeline.reports import statistics as statistics_module
from pipeline.reports.periods import parse_period
from pipeline.reports.recurring import CaseSignal, Cluster, find_recurring
from pipeline.reports.statistics import gather, table_rows
from pipeline.resolution.closure import record_agreement
from pipeline.resolution.proposals import Proposal
from pipeline.resolution.workflow import approve_proposal, submit_proposal
from pipeline.review.corrections import correct_fields
from pipeline.review.routing import RoutingDecision, route_case
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

# (department, product, category, method, compensation, loss, agreed, score, received)
PLAN = [
    ("quality", "KT-200 电水壶", "quality", "compensation", "800", "300", True, 5, "2026-11-02"),
    ("quality", "KT-200 电水壶", "quality", "replacement", "0", "120", True, 4, "2026-11-05"),
    ("logistics", "SF 快递", "logistics", "return", "0", "60", True, None, "2026-11-10"),
    ("logistics", "", "logistics", "discount", "30", "0", False, None, "2026-11-20"),
    ("sales", "Invoice", "billing", None, None, None, False, None, "2026-11-30"),
    (None, "", "", None, None, None, False, None, "2026-11-15"),
    ("quality", "KT-200 电水壶", "quality", "compensation", "100", "50", True, 2, "2026-10-20"),
    (None, "", "", None, None, None, False, None, "2026-10-31"),
]
SHANGHAI = "Asia/Shanghai"


def _local_noon(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)  # 12:00 in Shanghai


def _build(runtime: Runtime) -> None:
    settings = runtime.settings
    departments, policies = load_departments(settings), load_policies(settings)
    for number, plan in enumerate(PLAN):
        dept, product, category, method, compensation, loss, agreed, score, day = plan
        ingest_bytes(runtime, mails.complaint(sender=f"Customer {number} <c{number}@x.example>"),
                     name=f"{number}.eml")
        received = _local_noon(day)
        with runtime.factory() as session, session.begin():
            case = session.scalars(select(Case).order_by(Case.id.desc())).first()
            assert case is not None
            correct_fields(session, case=case, by="alice", region="CN",
                           changes={"product": product, "category": category,
                                    "severity": "normal"})
            if dept is None:
                case.received_at = received
                continue
            route_case(session, case=case, decision=RoutingDecision(department=dept),
                       settings=settings, departments=departments, policies=policies,
                       by="alice", now=received + timedelta(hours=1))
            if method is not None:
                proposal = Proposal(findings="Found.", method=method, loss_amount=loss,
                                    compensation_amount=compensation, answers=[("p", "a")])
                resolution = submit_proposal(
                    session, case=case, proposal=proposal, settings=settings, policies=policies,
                    department_name="D", by="handler", now=received + timedelta(days=1))
                if resolution.status == "proposed":
                    approve_proposal(session, case=case, instructions="", settings=settings,
                                     department_name="D", by="boss",
                                     now=received + timedelta(days=2))
            if agreed:
                record_agreement(session, case=case, via="phone", by="alice", note="",
                                 now=received + timedelta(days=3 + number), policies=policies)
            if score is not None:
                follow_up_at = received + timedelta(days=11 + number)
                send_follow_up(session, case_id=case.id, settings=settings, secret="k" * 40,
                               survey_url="https://x/survey", now=follow_up_at)
                record_answer(session, case=case, score=score, comment="", via="link",
                              now=follow_up_at)
            case.received_at = received
        with runtime.factory() as session, session.begin():
            ack = session.scalars(select(OutboundMail).where(
                OutboundMail.kind == "acknowledgment", OutboundMail.case_id == case.id)).one()
            ack.sent_at = received + timedelta(minutes=number + 1)


def _independent(runtime: Runtime, month: str) -> dict[str, object]:
    """The same figures, counted the slow and obvious way."""
    with runtime.factory() as session:
        cases = [c for c in session.scalars(select(Case))
                 if c.received_at.astimezone(UTC).strftime("%Y-%m") == month]
        resolutions = {r.case_id: r for r in session.scalars(
            select(Resolution).where(Resolution.status == "approved"))}
        deadlines = {d.case_id: d for d in session.scalars(select(CaseDeadline))}
        scores = {f.case_id: f.score for f in session.scalars(select(FollowUp))
                  if f.score is not None}
        acks = {m.case_id: m.sent_at for m in session.scalars(
            select(OutboundMail).where(OutboundMail.kind == "acknowledgment"))}
    mine = [resolutions[c.id] for c in cases if c.id in resolutions]
    closed = [c for c in cases if c.closed_at and c.id in deadlines]
    group = {"compensation": "compensation", "return": "return", "discount": "discount"}
    return {
        "cases": len(cases),
        "by_department": Counter(c.department or "" for c in cases),
        "by_method": Counter(group.get(r.method, "other") for r in mine),
        "loss": sum((r.loss_amount for r in mine), Decimal(0)),
        "compensation": sum((r.compensation_amount for r in mine), Decimal(0)),
        "closed": len(closed),
        "within": sum(1 for c in closed if c.closed_at <= deadlines[c.id].due_at),
        "ack_hours": statistics.median((acks[c.id] - c.received_at).total_seconds() / 3600
                                       for c in cases),
        "close_days": statistics.median((c.closed_at - c.received_at).total_seconds() / 86400
                                        for c in cases if c.closed_at),
        "scores": [scores[c.id] for c in cases if c.id in scores],
    }


def test_monthly_figures_match_an_independent_count(runtime: Runtime) -> None:
    _build(runtime)
    expected = _independent(runtime, "2026-11")
    with runtime.factory() as session:
        summary = gather(session, parse_period("2026-11", SHANGHAI)).summary
        rows = list(table_rows(session, parse_period("2026-11", SHANGHAI)))
    assert summary.cases == expected["cases"] == 6
    assert summary.by_department == dict(expected["by_department"])  # type: ignore[call-overload]
    assert summary.by_method == dict(expected["by_method"])  # type: ignore[call-overload]
    assert summary.by_method == {"compensation": 1, "other": 1, "return": 1, "discount": 1}
    assert summary.loss_total == expected["loss"] == Decimal("480.00")
    assert summary.compensation_total == expected["compensation"] == Decimal("830.00")
    assert summary.closed_with_deadline == expected["closed"] == 3
    assert summary.closed_within_deadline == expected["within"]
    assert summary.median_hours_to_acknowledge == pytest.approx(expected["ack_hours"], abs=1e-3)
    assert summary.median_days_to_close == pytest.approx(expected["close_days"], abs=1e-2)
    scores = expected["scores"]
    assert summary.satisfaction_answers == len(scores) == 2  # type: ignore[arg-type]
    assert summary.satisfaction_average == pytest.approx(statistics.mean(scores))  # type: ignore[arg-type]
    assert summary.by_product == {"KT-200 电水壶": 2, "SF 快递": 1, "Invoice": 1}
    assert summary.by_channel == {"email": 6}
    assert summary.previous == {"period": "2026-10", "cases": 2, "loss_total": Decimal("50.00"),
                                "compensation_total": Decimal("100.00")}
    assert len(rows) == 6
    assert [r.received_at for r in rows] == sorted(r.received_at for r in rows)
    assert rows[0].method == "compensation" and rows[0].loss_amount == Decimal("300.00")
    assert rows[0].department == "quality" and rows[0].product == "KT-200 电水壶"


def test_chart_data_buckets_weeks_and_close_times(runtime: Runtime) -> None:
    _build(runtime)
    with runtime.factory() as session:
        figures = gather(session, parse_period("2026-11", SHANGHAI))
    weeks, closing = figures.weekly, figures.close_times
    # Mondays of the local weeks: 2 Nov 2026 was a Monday, 30 Nov is one too.
    assert sorted(weeks) == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-30"]
    assert weeks["2026-11-02"] == {"quality": 2}
    assert weeks["2026-11-09"] == {"logistics": 1, "": 1}
    assert weeks["2026-11-16"] == {"logistics": 1}
    assert weeks["2026-11-30"] == {"sales": 1}
    assert closing == {"≤1": 0, "1–3": 1, "3–7": 2, "7–14": 0, "14–30": 0, ">30": 0}


def test_periods_use_the_local_calendar_and_empty_periods_are_zero(runtime: Runtime) -> None:
    _build(runtime)
    with runtime.factory() as session:
        quarter = gather(session, parse_period("2026-Q4", SHANGHAI)).summary
        year = gather(session, parse_period("2026", SHANGHAI)).summary
        empty = gather(session, parse_period("2025-03", SHANGHAI)).summary
    assert quarter.cases == year.cases == 8
    assert year.previous["cases"] == 0
    assert (empty.cases, empty.loss_total, empty.median_days_to_close) == (0, Decimal(0), None)
    assert empty.within_deadline_share is None


def test_large_periods_find_recurring_products_and_categories_in_sql(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy year's clusters come from SQL (PostgreSQL); they match a case-by-case count."""
    _build(runtime)
    monkeypatch.setattr(statistics_module, "TEXT_SIMILARITY_MAX_CASES", 2)
    quarter = parse_period("2026-Q4", SHANGHAI)
    with runtime.factory() as session:
        figures = gather(session, quarter)
        start, end = quarter.bounds()
        signals = [CaseSignal(ref, received.date(), product, category, "")
                   for ref, received, product, category in session.execute(
                       select(Case.reference, Case.received_at, Case.product, Case.category)
                       .where(Case.received_at >= start, Case.received_at < end))]
    if runtime.engine.dialect.name != "postgresql":
        assert figures.recurring is None  # SQLite compares the cases in Python
        return
    assert figures.recurring is not None

    def described(clusters: list[Cluster]) -> list[tuple[object, ...]]:
        return sorted((c.signal, c.value, c.count, c.references, c.first, c.last)
                      for c in clusters)

    expected = find_recurring(signals, text=False)
    assert described(figures.recurring) == described(expected)
    assert {(c.signal, c.value, c.count) for c in expected} == {
        ("product", "KT-200 电水壶", 3), ("category", "quality", 3)}
