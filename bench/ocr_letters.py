"""OCR benchmark for scanned letters: speed, memory, accuracy and acknowledgment time.

1. Accuracy and speed: every generated letter (zh and en, mildly degraded JPEG) is OCR'd
   in this process. Figures: seconds per page, character error rate (whitespace
   ignored), field accuracy against the known truth, phones found, peak RSS.
2. Throughput: the OCR worker runs (embedded runtime: SQLite, in-process queue, one OCR
   worker thread as in ``complaints run``); N pages are dropped into the scan folder at
   once. Figure: pages per minute from the drop to the last case.
3. Acknowledgment: one one-page letter (with an e-mail address) is dropped into the scan
   folder. Figure: seconds until its acknowledgment e-mail is written to the outbox.

    .venv/bin/python bench/ocr_letters.py --pages 6
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from config.settings import Settings  # noqa: E402
from pipeline.db.models import LetterScan, OutboundMail  # noqa: E402
from pipeline.scans.document import ScanFile, read_document  # noqa: E402
from pipeline.scans.fields import extract_letter_fields  # noqa: E402
from pipeline.scans.ocr import engine  # noqa: E402
from tests.support.scans import (  # noqa: E402
    BROKEN_LINE_LETTERS,
    EN_WITH_EMAIL,
    LETTERS,
    LetterTruth,
    scanned_jpeg,
)
from tests.support.textmetrics import char_error_rate, edit_distance  # noqa: E402
from workers.app import build_runtime  # noqa: E402
from workers.service import serve  # noqa: E402

FIELDS = ("name", "phone", "address", "email", "date", "orders", "amounts", "demands")
# The accuracy samples: the four letters, and two whose order and phone numbers break
# across lines (one from a UK writer, whose number is not Chinese).
SAMPLES = (*LETTERS, *BROKEN_LINE_LETTERS)


def field_hits(letter: LetterTruth, text: str, confidence: float) -> dict[str, bool]:
    found = extract_letter_fields(text, ocr_confidence=confidence)
    return {
        "name": found.name.value == letter.name,
        "phone": found.phone.value == letter.phone,
        "address": found.address.value == letter.address,
        "email": found.email.value == letter.email,
        "date": found.letter_date.value == letter.date,
        "orders": found.orders == letter.orders,
        "amounts": found.amounts == letter.amounts,
        "demands": found.demands == letter.demands,
    }


def accuracy() -> None:
    engine()
    seconds, errors, chars, hits, phones = [], 0, 0, 0, 0
    for letter in SAMPLES:
        payload = scanned_jpeg(letter)
        started = time.perf_counter()
        document = read_document([ScanFile(f"{letter.key}.jpg", "image/jpeg", payload)])
        seconds.append(time.perf_counter() - started)
        truth = "".join(letter.text.split())
        errors += edit_distance(truth, "".join(document.text.split()))
        chars += len(truth)
        result = field_hits(letter, document.text, document.confidence)
        hits += sum(result.values())
        phones += result["phone"]
        misses = [k for k, ok in result.items() if not ok]
        cer = char_error_rate(letter.text, document.text)
        print(f"  {letter.key:<9} {seconds[-1]:5.2f} s  CER {cer:6.2%}  missed: {misses or '-'}")
    print(f"seconds/page (in process):  {sum(seconds) / len(seconds):.2f}")
    print(f"character error rate:       {errors / chars:.2%} ({errors} of {chars} characters)")
    total = len(SAMPLES) * len(FIELDS)
    print(f"field accuracy:             {hits / total:.1%} ({hits}/{total} fields)")
    print(f"phones found:               {phones}/{len(SAMPLES)}")


def throughput_and_ack(pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", scan_poll_seconds=0.1, log_level="WARNING")
        runtime = build_runtime(settings)
        stop = threading.Event()
        thread = threading.Thread(
            target=serve, kwargs={"runtime": runtime, "poll": True, "work": True, "stop": stop}
        )
        thread.start()
        folder = Path(settings.scans_dir)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            payloads = [scanned_jpeg(LETTERS[i % len(LETTERS)], seed=i) for i in range(pages)]
            started = time.perf_counter()
            for index, payload in enumerate(payloads):
                (folder / f".p{index}.tmp").write_bytes(payload)
                (folder / f".p{index}.tmp").rename(folder / f"p{index}.jpg")
            wait(runtime, lambda s: _count(s, LetterScan.status != "received") >= pages, 600)
            elapsed = time.perf_counter() - started
            print(f"pages/minute (OCR worker):  {pages / elapsed * 60:.1f} ({pages} pages)")

            letter = scanned_jpeg(EN_WITH_EMAIL, seed=999)
            with runtime.factory() as session:
                before = _count(session, OutboundMail.status == "sent")
            started = time.perf_counter()
            (folder / ".ack.tmp").write_bytes(letter)
            (folder / ".ack.tmp").rename(folder / "ack.jpg")
            wait(runtime, lambda s: _count(s, OutboundMail.status == "sent") > before, 120)
            print(f"letter -> acknowledgment:   {time.perf_counter() - started:.2f} s")
        finally:
            stop.set()
            thread.join(timeout=60)


def _count(session, condition) -> int:  # type: ignore[no-untyped-def]
    table = condition.left.table
    return session.scalar(select(func.count()).select_from(table).where(condition)) or 0


def wait(runtime, done, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.factory() as session:
            if done(session):
                return
        time.sleep(0.1)
    raise SystemExit("timed out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=6, help="pages for the throughput run")
    args = parser.parse_args()
    print("== accuracy and speed (generated letters, mildly degraded JPEG)")
    accuracy()
    print("== throughput and acknowledgment (embedded runtime, OCR worker thread)")
    throughput_and_ack(args.pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS):          {peak:.0f} MB")


if __name__ == "__main__":
    main()
