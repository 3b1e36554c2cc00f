"""The statistics fill 品名 and 数量 from intake's suggestions (issue 13).

GIVEN three complaints that name the heater in different words and say how many, the
statistics table lists the catalogue's one name and the count, and the three form a
recurring problem by product.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.reports.build import recurring_problems
from pipeline.reports.periods import parse_period
from pipeline.reports.statistics import gather, table_rows
from tests.support import mails
from workers.inline import ingest_bytes
from workers.runtime import Runtime

HEATER = "取暖器 H2 / Heater H2"
BODIES = [
    ("暖风机坏了", "我买的2台暖风机都不热了。\n张三\n"),
    ("Heater broken", "The heater I bought stopped working. I have 3 units.\nJohn\n"),
    ("电暖器问题", "电暖器用了一周就不转了。\n李四\n"),
]


def test_product_and_quantity_fill_the_table_and_recurring_problems_form(
    runtime: Runtime,
) -> None:
    for number, (subject, body) in enumerate(BODIES):
        received = datetime(2026, 11, 3 + number, 4, tzinfo=UTC)
        ingest_bytes(runtime, mails.complaint(sender=f"C{number} <c{number}@x.example>",
                                              subject=subject, body=body, date=received),
                     name=f"{number}.eml")
    period = parse_period("2026", "Asia/Shanghai")
    with runtime.factory() as session:
        rows = list(table_rows(session, period))
        clusters = recurring_problems(session, period, gather(session, period))
    assert [(row.product, row.quantity) for row in rows] == [
        (HEATER, 2), (HEATER, 3), (HEATER, None)]
    by_product = [c for c in clusters if c.signal == "product"]
    assert len(by_product) == 1 and by_product[0].value == HEATER
    assert len(by_product[0].references) == 3
