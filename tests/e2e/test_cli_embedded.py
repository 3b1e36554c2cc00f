"""The README's first command, as a user runs it: ``complaints demo`` in a fresh directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from letters.pdf.fonts import find_font_files
from tests.support import mails
from tests.support.fonts import TEST_FONT_CACHE, fonts_for_tests
from tests.support.smtp_sink import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


def complaints(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["COMPLAINTS_WEB_PORT"] = str(free_port())  # the console beside demo/run
    return env


def test_demo_turns_every_complaint_into_an_acknowledged_case(tmp_path: Path) -> None:
    run_demo_to_the_end(tmp_path, clean_env())


@pytest.mark.timeout(900)
def test_demo_runs_with_every_system_font_hidden(tmp_path: Path) -> None:
    """Python is all it needs: the packaged Noto Sans SC prints letters and draws the scans."""
    env = clean_env()
    hidden = tmp_path / "no-system-fonts"
    hidden.mkdir()
    env["COMPLAINTS_PDF_FONT_SEARCH_PATH"] = str(hidden)
    env["COMPLAINTS_PDF_FONT_CACHE_DIR"] = str(TEST_FONT_CACHE)
    # Instancing (tested in test_pdf_fonts) is done before the demo's clock starts.
    assert find_font_files(fonts_for_tests(hide_system=True)) is not None
    output = run_demo_to_the_end(tmp_path, env)
    assert "font: NotoSansSC-400-" in output and "packaged" in output
    assert "WenQuanYi" not in output
    preview = tmp_path / "ack.pdf"
    complaints("letters", "preview", "acknowledgment", "--out", str(preview), cwd=tmp_path,
               env=env)
    pdf = preview.read_bytes()
    assert b"NotoSansSC-Regular" in pdf and b"WenQuanYi" not in pdf
    assert "我们已收到您的来信" in pdf_text(pdf, tmp_path)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def run_demo_to_the_end(tmp_path: Path, env: dict[str, str], timeout: float = 150) -> str:
    """Run ``complaints demo`` until every demo case is acknowledged; return its output."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers", "demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def listed() -> list[dict[str, object]]:
            out = complaints("cases", "list", "--json", cwd=tmp_path, env=env)
            return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else []

        def all_acknowledged_and_phone_captured() -> bool:
            rows = listed()
            mails = [r for r in rows if r["channel"] == "email"]
            letters = [r for r in rows if r["channel"] == "letter"]
            zhang = [r for r in rows if r["customer_email"] == "zhangwei@customer.example"]
            return (
                len(mails) == 4
                and len(letters) == 2
                and all(r["acknowledgment"] == "sent" for r in mails)
                and bool(zhang)
                and zhang[0]["customer_phone"] == "+8613912345678"
            )

        try:
            wait_until(all_acknowledged_and_phone_captured, timeout,
                       "four mail and two letter cases")
        except AssertionError as exc:
            proc.send_signal(signal.SIGINT)
            raise AssertionError(f"{exc}\n{proc.communicate(timeout=60)[0]}") from None
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    rows = json.loads(complaints("cases", "list", "--json", cwd=tmp_path, env=env).stdout)
    assert {r["language"] for r in rows} == {"zh", "en"}
    letters = {r["language"]: r for r in rows if r["channel"] == "letter"}
    assert letters["en"]["customer_email"] == "mary.jones@customer.example"
    assert letters["en"]["acknowledgment"] == "sent"  # by e-mail: the letter gives an address
    assert letters["zh"]["customer_phone"] == "+8613800138000"
    queue = json.loads(complaints("letters", "queue", "--json", cwd=tmp_path, env=env).stdout)
    desk = {r["channel"]: r for r in rows if r["channel"] in ("phone", "visit")}
    assert desk["phone"]["acknowledgment"] == "verbal"  # told on the phone, nothing printed
    assert sorted(q["case_reference"] for q in queue) == sorted(
        [letters["zh"]["reference"], desk["visit"]["reference"]])  # no e-mail: a printed letter
    assert sorted(p.name for p in (tmp_path / "var/mail/outbox").glob("*.eml")).__len__() == 5
    assert len(list((tmp_path / "var/scans/done").iterdir())) == 2
    assert not list((tmp_path / "var/mail/inbox").glob("*.eml"))
    assert len(list((tmp_path / "var/mail/recorded").glob("*.eml"))) == 6
    return output


def test_ingest_then_list_and_show_as_json(tmp_path: Path) -> None:
    env = clean_env()
    good = tmp_path / "good.eml"
    good.write_bytes(mails.complaint())
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01 nothing like a mail")

    result = complaints("ingest", str(good), str(junk), cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    assert "complaint -> case CP-" in result.stdout
    assert "quarantined:" in result.stdout
    cases = json.loads(complaints("cases", "list", "--json", cwd=tmp_path, env=env).stdout)
    assert len(cases) == 1
    assert set(cases[0]) >= {
        "reference",
        "status",
        "channel",
        "customer_name",
        "customer_email",
        "customer_phone",
        "subject",
        "language",
        "received_at",
        "acknowledgment",
    }
    shown = json.loads(
        complaints("cases", "show", cases[0]["reference"], "--json", cwd=tmp_path, env=env).stdout
    )
    assert shown["reference"] == cases[0]["reference"]
    assert [c["kind"] for c in shown["correspondence"]] == ["complaint", "acknowledgment"]
    quarantined = json.loads(
        complaints("cases", "list", "--quarantined", "--json", cwd=tmp_path, env=env).stdout
    )
    assert len(quarantined) == 1 and quarantined[0]["quarantine_reason"]


def test_automatic_mail_is_listed_with_its_reason(tmp_path: Path) -> None:
    env = clean_env()
    away = tmp_path / "away.eml"
    away.write_bytes(mails.complaint(headers={"Auto-Submitted": "auto-replied"}))

    complaints("ingest", str(away), cwd=tmp_path, env=env)
    listed = json.loads(
        complaints("mail", "list", "--kind", "automatic", "--json", cwd=tmp_path, env=env).stdout
    )

    assert len(listed) == 1
    assert listed[0]["case_reference"] == ""
    assert "Auto-Submitted" in listed[0]["detail"]


def test_letters_print_batch_and_preview(tmp_path: Path) -> None:
    env = clean_env()
    preview = tmp_path / "ack-zh.pdf"
    shown = complaints(
        "letters",
        "preview",
        "acknowledgment",
        "--lang",
        "zh",
        "--out",
        str(preview),
        cwd=tmp_path,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    assert preview.read_bytes().startswith(b"%PDF") and b"/FontFile2" in preview.read_bytes()
    report = complaints("letters", "preview", "statistics-report", "--lang", "en", cwd=tmp_path,
                        env=env)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "preview-statistics-report-en.pdf").read_bytes().startswith(b"%PDF")
    unknown = complaints("letters", "preview", "nope", "--out", "x.pdf", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "acknowledgment" in unknown.stderr
    empty = complaints("letters", "print-batch", cwd=tmp_path, env=env)
    assert empty.returncode == 0 and "No letters waiting" in empty.stdout
