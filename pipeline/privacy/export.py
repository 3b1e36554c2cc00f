"""A customer's data as they may ask for it: JSON of every row plus the original files.

Rows are written column by column (everything the table holds, so nothing is left out
when a column is added); binary columns become files beside the JSON: the raw mails
as .eml, our sent mails, letters and notices as PDF, attachments and scans as stored.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from pipeline.db.base import Base, utcnow
from pipeline.db.models import (
    Attachment,
    Case,
    CaseDeadline,
    CaseEvent,
    Correspondence,
    FollowUp,
    InboundMail,
    LetterScan,
    Notice,
    OutboundMail,
    PrintLetter,
    Resolution,
)
from pipeline.mail.attachments import attachment_path
from pipeline.privacy.holdings import Holdings

_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass
class Export:
    """The JSON document and the files to put beside it (name inside the export -> source)."""

    data: dict[str, Any]
    files: dict[str, bytes | Path] = field(default_factory=dict)

    def contents(self) -> Iterator[tuple[str, bytes]]:
        yield "data.json", json.dumps(self.data, ensure_ascii=False, indent=2,
                                      default=_plain).encode("utf-8")
        for name, source in sorted(self.files.items()):
            if isinstance(source, Path):
                if source.is_file():
                    yield name, source.read_bytes()
            else:
                yield name, source


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    raise TypeError(type(value).__name__)


def _row(obj: Base, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of the row, binary columns left out (they become files)."""
    mapper = inspect(type(obj))
    return {c.key: getattr(obj, c.key) for c in mapper.column_attrs
            if c.key not in skip and not isinstance(getattr(obj, c.key), bytes)}


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:80] or "file"


def collect(session: Session, holdings: Holdings, *, storage_root: Path,
            person: dict[str, str]) -> Export:
    """Read everything in ``holdings`` into one export."""
    export = Export(data={"exported_at": utcnow(), "person": person, "cases": [], "mails": [],
                          "scans": [], "attachments": []})
    for case in session.scalars(select(Case).where(Case.id.in_(holdings.case_ids))
                                .order_by(Case.id)):
        export.data["cases"].append(_case(session, case, export))
    for mail in session.scalars(select(InboundMail).where(
            InboundMail.id.in_(holdings.inbound_ids)).order_by(InboundMail.id)):
        entry = _row(mail)
        if mail.raw:
            entry["file"] = f"mails/{mail.id}.eml"
            export.files[entry["file"]] = mail.raw
        export.data["mails"].append(entry)
    export.data["scans"] = [_row(s) for s in session.scalars(
        select(LetterScan).where(LetterScan.id.in_(holdings.scan_ids)).order_by(LetterScan.id))]
    for item in session.scalars(select(Attachment).where(
            Attachment.id.in_(holdings.attachment_ids)).order_by(Attachment.id)):
        entry = _row(item)
        entry["file"] = f"attachments/{item.id}-{_safe(item.display_name)}"
        export.files[entry["file"]] = attachment_path(storage_root, item.storage_name)
        export.data["attachments"].append(entry)
    return export


def _case(session: Session, case: Case, export: Export) -> dict[str, Any]:
    def rows(model: type[Base], order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(
            model.case_id == case.id).order_by(order)))  # type: ignore[attr-defined]

    entry = _row(case)
    entry["correspondence"] = [_row(c) for c in rows(Correspondence, Correspondence.id)]
    entry["events"] = [_row(e) for e in rows(CaseEvent, CaseEvent.id)]
    entry["resolutions"] = [_row(r) for r in rows(Resolution, Resolution.id)]
    entry["deadline"] = [_row(d) for d in rows(CaseDeadline, CaseDeadline.case_id)]
    entry["follow_up"] = [_row(f) for f in rows(FollowUp, FollowUp.case_id)]
    entry["sent_mail"] = _with_files(
        export, rows(OutboundMail, OutboundMail.id), "raw",
        lambda m: f"sent/{case.reference}-{m.id}-{_safe(m.kind)}.eml")
    entry["notices"] = _with_files(
        export, rows(Notice, Notice.id), "pdf",
        lambda n: f"letters/{case.reference}-notice-{n.id}.pdf")
    entry["printed_letters"] = _with_files(
        export, rows(PrintLetter, PrintLetter.id), "pdf",
        lambda p: f"letters/{case.reference}-{_safe(p.kind)}-{p.id}.pdf")
    return entry


def _with_files(export: Export, found: Iterable[Any], column: str,
                name: Callable[[Any], str]) -> list[dict[str, Any]]:
    """Rows as JSON; each stored document goes beside them as a file the row names."""
    items = []
    for row in found:
        item = _row(row)
        content = getattr(row, column)
        if content:
            item["file"] = name(row)
            export.files[item["file"]] = content
        items.append(item)
    return items


def write_directory(export: Export, out: Path) -> int:
    """Write the export into ``out`` (created); returns the number of files written."""
    count = 0
    for name, payload in export.contents():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
        count += 1
    return count


def zip_bytes(export: Export) -> bytes:
    """The same export as one zip file, for a download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in export.contents():
            archive.writestr(name, payload)
    return buffer.getvalue()
