"""psycopg keeps the translation of a batch's INSERTs, as it does for every other statement.

psycopg turns a query's ``%(name)s`` placeholders into PostgreSQL's ``$1`` by scanning
its text, and keeps the result only for queries of at most 4,096 characters and 50
parameters. A worker writes a batch's new rows in one INSERT per table: for a batch of
20 complaints, the cases' INSERT is 27,600 characters with 840 parameters, and it was
scanned anew every time (3.7 ms of CPU per batch; 0.24 ms per complaint with the events'
and correspondence's). psycopg's limit guards against the endless shapes such INSERTs
take in general; ours take one shape per batch size, at most ``BATCH_SIZE`` of them per
table, so keeping them is what the cache is for. The bounds below fit a batch of 20; a
larger statement is scanned each time, as before. The cost is memory: a kept cases'
INSERT of 20 rows takes about 140 KB, and psycopg keeps 128 queries, so at worst some
20-30 MB per process (the three batch INSERTs in their 20 sizes; small queries pushed
out are only translated again).

The limits are psycopg module settings, not a documented API: if a psycopg release drops
them, this changes nothing and ``tests/integration/test_statement_cache.py`` fails.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

MAX_CACHED_LENGTH = 32 * 1024
"""Characters: the cases' INSERT for a batch of 20 is about 27,600."""

MAX_CACHED_PARAMETERS = 1_000
"""The cases' INSERT for a batch of 20 has 840 (42 columns a row)."""


def keep_batch_translations() -> None:
    """Raise psycopg's bounds for keeping translated queries to fit one intake batch."""
    try:
        from psycopg import _queries
    except ImportError:  # no psycopg: no PostgreSQL engine either
        return
    names = ("MAX_CACHED_STATEMENT_LENGTH", "MAX_CACHED_STATEMENT_PARAMS")
    if not all(isinstance(getattr(_queries, name, None), int) for name in names):
        log.warning("psycopg has no statement cache bounds to raise; batch INSERTs are "
                    "translated each time")
        return
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH,
                                               MAX_CACHED_LENGTH)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS,
                                               MAX_CACHED_PARAMETERS)
