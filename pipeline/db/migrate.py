"""Schema migrations with Alembic, run by ``complaints migrate`` and at start-up.

Every process runs :func:`upgrade` when it starts, and almost always the database is
already current. Alembic answers that by importing itself and every migration script
(a fifth of a second of CPU per start here), so :func:`upgrade` first compares the
database's revision with the newest script's, read from the file names (``0019_….py``
holds revision ``0019``; a test keeps the two in step), and calls Alembic only when
they differ.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pipeline.db.base import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: PostgreSQL advisory lock that serialises concurrent start-ups.
_MIGRATION_LOCK = 7_240_311
_NUMBERED = re.compile(r"(\d{4})_\w+\.py")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def newest_revision() -> str:
    """The revision of the newest migration script, by its file name's number."""
    numbers = [m.group(1) for p in (MIGRATIONS / "versions").iterdir()
               if (m := _NUMBERED.fullmatch(p.name))]
    return max(numbers)


def is_current(url: str) -> bool:
    """True when the database at ``url`` is at the newest revision (False if unsure)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no table yet, or no database: Alembic will say what is wrong
        return False
    finally:
        engine.dispose()
    return [row[0] for row in found] == [newest_revision()]


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``; safe to run from many processes."""
    if revision == "head" and is_current(url):
        return
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()
