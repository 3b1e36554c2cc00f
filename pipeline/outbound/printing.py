"""The print queue: paper letters rendered with their case, printed in crash-safe batches.

A letter is rendered to PDF in the same transaction that decides to send it, so the
queue holds exactly what will be printed. A batch first records which letters it
holds (committed), then writes the PDF, then marks itself and its letters printed.
If the process dies in between, the next ``print-batch`` finds the open batch and
writes the same letters again instead of losing or doubling them.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.base import utcnow
from pipeline.db.models import Case, PrintBatch, PrintLetter


@dataclass(frozen=True)
class QueuedLetter:
    id: int
    case_reference: str
    kind: str
    language: str
    recipient: str
    pages: int
    created_at: str

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "case_reference": self.case_reference,
            "kind": self.kind,
            "language": self.language,
            "recipient": self.recipient,
            "pages": self.pages,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class BatchResult:
    batch_id: int | None
    letters: int
    out_path: Path | None


def queue_print_letter(
    session: Session, *, case: Case, kind: str, language: str, recipient: str, pdf: bytes
) -> PrintLetter:
    """Add a rendered letter to the print queue in the caller's transaction (once per kind)."""
    existing = session.scalar(
        select(PrintLetter).where(PrintLetter.case_id == case.id, PrintLetter.kind == kind)
    )
    if existing is not None:
        return existing
    letter = PrintLetter(
        case_id=case.id,
        kind=kind,
        language=language,
        recipient=recipient,
        pdf=pdf,
        pages=len(PdfReader(io.BytesIO(pdf)).pages),
    )
    session.add(letter)
    session.flush()
    return letter


def waiting_letters(session: Session) -> list[QueuedLetter]:
    """Letters not yet printed, oldest first."""
    rows = session.execute(
        select(PrintLetter, Case.reference)
        .join(Case, Case.id == PrintLetter.case_id)
        .where(PrintLetter.status == "waiting")
        .order_by(PrintLetter.id)
    ).all()
    return [
        QueuedLetter(
            id=letter.id,
            case_reference=reference,
            kind=letter.kind,
            language=letter.language,
            recipient=letter.recipient,
            pages=letter.pages,
            created_at=letter.created_at.isoformat(),
        )
        for letter, reference in rows
    ]


def print_batch(factory: sessionmaker[Session], *, out_path: Path) -> BatchResult:
    """Write every waiting letter (or an unfinished batch's) into one PDF and mark them."""
    batch_id = _open_batch(factory, out_path)
    if batch_id is None:
        return BatchResult(batch_id=None, letters=0, out_path=None)
    with factory() as session:
        pdfs = list(
            session.scalars(
                select(PrintLetter.pdf)
                .where(PrintLetter.batch_id == batch_id)
                .order_by(PrintLetter.id)
            )
        )
    _write_combined(pdfs, out_path)
    now = utcnow()
    with factory() as session, session.begin():
        session.execute(
            update(PrintLetter)
            .where(PrintLetter.batch_id == batch_id)
            .values(status="printed", printed_at=now)
        )
        session.execute(
            update(PrintBatch)
            .where(PrintBatch.id == batch_id)
            .values(status="done", done_at=now, out_path=str(out_path))
        )
    return BatchResult(batch_id=batch_id, letters=len(pdfs), out_path=out_path)


def _open_batch(factory: sessionmaker[Session], out_path: Path) -> int | None:
    """An unfinished batch if there is one, else a new one holding every waiting letter."""
    with factory() as session, session.begin():
        unfinished = session.scalar(
            select(PrintBatch.id).where(PrintBatch.status == "open").order_by(PrintBatch.id)
        )
        if unfinished is not None:
            return unfinished
        waiting = list(
            session.scalars(
                select(PrintLetter.id)
                .where(PrintLetter.status == "waiting", PrintLetter.batch_id.is_(None))
                .with_for_update()
            )
        )
        if not waiting:
            return None
        batch = PrintBatch(status="open", out_path=str(out_path), letters=len(waiting))
        session.add(batch)
        session.flush()
        session.execute(
            update(PrintLetter).where(PrintLetter.id.in_(waiting)).values(batch_id=batch.id)
        )
        return batch.id


def _write_combined(pdfs: list[bytes], out_path: Path) -> None:
    """Concatenate the letters into one file, written atomically."""
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    with tmp.open("wb") as handle:
        writer.write(handle)
    os.replace(tmp, out_path)
