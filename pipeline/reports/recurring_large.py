"""Recurring problems in periods too large to compare every complaint's text.

For a busy year (PostgreSQL) the clusters are found by product and by category only,
from the period's daily figures (:mod:`pipeline.reports.days`): a sliding
window sum over each value's days flags the values with ``min_cases`` complaints
within ``window_days`` of each other, the same rule :mod:`pipeline.reports.recurring`
applies case by case. Only the first references of each flagged value are read back,
through the ``(product, received_at)`` index of the case facts.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.reports.periods import Period
from pipeline.reports.recurring import Cluster

MAX_CLUSTERS = 50
REFERENCES_SHOWN = 20

_DENSE_SQL = """
WITH daily AS (
  SELECT {column} AS value, day, sum(cases) AS n FROM daily_figures
  WHERE day >= :first AND day < :after AND {column} <> '' GROUP BY 1, 2
), windows AS (
  SELECT value, day, n,
         sum(n) OVER (PARTITION BY value ORDER BY day
                      RANGE BETWEEN make_interval(days => :window) PRECEDING
                      AND CURRENT ROW) AS in_window
  FROM daily
), dense AS (
  SELECT value, sum(n) AS size, min(day) AS first, max(day) AS last FROM windows
  GROUP BY value HAVING max(in_window) >= :min_cases
  ORDER BY size DESC, value LIMIT :limit
)
SELECT value, size, first, last,
       ARRAY(SELECT reference FROM case_facts AS f
             WHERE f.{column} = dense.value AND received_at >= :start AND received_at < :end
             ORDER BY received_at, case_id LIMIT :shown)
FROM dense ORDER BY size DESC, value
"""


def dense_values(session: Session, period: Period, column: str, *,
                 window_days: int = 30, min_cases: int = 3) -> list[Cluster]:
    """Products or categories with ``min_cases`` cases within some window, in one query."""
    assert column in ("product", "category")  # a column name, never user input
    start, end = period.bounds()
    rows = session.execute(text(_DENSE_SQL.format(column=column)), {
        "first": period.first, "after": period.after, "window": window_days, "start": start,
        "end": end, "min_cases": min_cases, "limit": MAX_CLUSTERS, "shown": REFERENCES_SHOWN,
    }).all()
    return [Cluster(key=f"{column}:{refs[0]}", signal=column, value=str(value),
                    references=tuple(refs), first=first, last=last, size=int(size))
            for value, size, first, last, refs in rows]
