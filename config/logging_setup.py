"""Logging for the processes: one line per event, structured extras appended."""

from __future__ import annotations

import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ExtrasFormatter(logging.Formatter):
    """Append ``extra=`` fields as key=value, so logs stay greppable without personal data."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if not extras:
            return base
        return base + " " + " ".join(f"{k}={v}" for k, v in sorted(extras.items()))


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(ExtrasFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("mailparser", "alembic.runtime.migration", "alembic.runtime.plugins", "dramatiq"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
