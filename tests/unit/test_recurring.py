"""Recurring problems: same product, same category or similar text, within a window."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline.reports.recurring import CaseSignal, find_recurring

DAY0 = date(2026, 10, 1)


def _case(n: int, day: int, *, product: str = "", category: str = "", text: str = "") -> CaseSignal:
    return CaseSignal(f"CP-2026-{n:06d}", DAY0 + timedelta(days=day), product, category, text)


def test_same_product_three_times_in_a_month_is_recurring() -> None:
    cases = [_case(1, 0, product="KT-200 电水壶"), _case(2, 10, product="kt-200 电水壶"),
             _case(3, 25, product="KT-200 电水壶"), _case(4, 3, product="Other")]
    (cluster,) = find_recurring(cases)
    assert cluster.signal == "product" and cluster.value == "KT-200 电水壶"
    assert cluster.references == ("CP-2026-000001", "CP-2026-000002", "CP-2026-000003")
    assert cluster.key == "product:CP-2026-000001"
    assert (cluster.first, cluster.last) == (DAY0, DAY0 + timedelta(days=25))


def test_spread_out_complaints_are_not_recurring() -> None:
    cases = [_case(1, 0, product="KT-200"), _case(2, 40, product="KT-200"),
             _case(3, 80, product="KT-200")]
    assert find_recurring(cases) == []


def test_a_later_case_joins_and_the_key_stays() -> None:
    base = [_case(1, 0, category="logistics"), _case(2, 5, category="logistics"),
            _case(3, 9, category="logistics")]
    (before,) = find_recurring(base)
    (after,) = find_recurring([*base, _case(4, 30, category="logistics")])
    assert before.key == after.key == "category:CP-2026-000001"
    assert after.references[-1] == "CP-2026-000004"


def test_similar_text_clusters_in_chinese_and_english_apart_from_the_rest() -> None:
    leaks = ["电水壶底部漏水，用了三天", "水壶底部漏水了，刚买一周", "新买的电水壶底部一直漏水"]
    cases = [_case(i + 1, i * 3, text=t) for i, t in enumerate(leaks)]
    cases += [_case(10 + i, i, text=t) for i, t in enumerate(
        ["The parcel arrived late and the box was crushed",
         "Parcel arrived very late, box crushed",
         "My parcel arrived late with a crushed box"])]
    cases += [_case(20, 2, text="发票抬头开错了"), _case(21, 4, text="The app will not pair")]
    clusters = {c.references: c for c in find_recurring(cases)}
    assert ("CP-2026-000001", "CP-2026-000002", "CP-2026-000003") in clusters
    assert ("CP-2026-000010", "CP-2026-000011", "CP-2026-000012") in clusters
    assert all(c.signal == "text" for c in clusters.values())
    assert len(clusters) == 2


def test_too_few_or_empty_texts_give_nothing() -> None:
    assert find_recurring([]) == []
    assert find_recurring([_case(1, 0, text="漏水"), _case(2, 1, text="")]) == []
