"""``complaints cases add``: a complaint taken on the phone or at the counter, from the CLI.

Run as a user runs it (``python -m workers`` in a fresh directory, embedded defaults):
a phone complaint without email is acknowledged verbally, a counter complaint with a
postal address gets a printed acknowledgment in the print queue, and one with an
email address gets the acknowledgment mail through the outbox.
"""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.e2e.test_cli_embedded import clean_env, complaints, pdf_text

pytestmark = pytest.mark.slow

WORDS = ("您好，我在贵店买的电饭煲（订单号 DD2026112800456）用了两天就不加热了，"
         "要求退货退款。")


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    (tmp_path / "words.txt").write_text(WORDS + "\n", encoding="utf-8")
    return tmp_path


def _env(cwd: Path) -> dict[str, str]:
    env = clean_env()
    env["COMPLAINTS_DATA_DIR"] = str(cwd / "var")
    env["COMPLAINTS_FROM_ADDRESS"] = "complaints@shop.example"
    return env


def _add(cwd: Path, *extra: str) -> str:
    done = complaints("cases", "add", "--name", "李娜", "--text-file", "words.txt",
                      "--by", "ivy", *extra, cwd=cwd, env=_env(cwd))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _show(cwd: Path, reference: str) -> dict[str, object]:
    shown = complaints("cases", "show", reference, "--json", cwd=cwd, env=_env(cwd))
    assert shown.returncode == 0, shown.stderr
    detail: dict[str, object] = json.loads(shown.stdout)
    return detail


def test_a_phone_complaint_without_email_is_acknowledged_verbally(cwd: Path) -> None:
    reference = _add(cwd, "--channel", "phone", "--phone", "139 1234 5678")

    assert reference.startswith("CP-")
    case = _show(cwd, reference)
    assert case["channel"] == "phone" and case["acknowledgment"] == "verbal"
    assert case["taken_by"] == "ivy" and case["customer_name"] == "李娜"
    assert case["customer_phone"] == "+8613912345678"
    assert case["order_numbers"] == ["DD2026112800456"]
    assert "refund" in case["demands"] and "return" in case["demands"]
    events = case["events"]
    assert isinstance(events, list)
    assert [(e["action"], e["by"]) for e in events] == [
        ("received", "ivy"), ("fields_suggested", "system"), ("acknowledged_verbally", "ivy")]
    assert not list((cwd / "var" / "mail" / "outbox").glob("*.eml"))


def test_a_counter_complaint_with_a_postal_address_goes_to_the_print_queue(cwd: Path) -> None:
    reference = _add(cwd, "--channel", "visit", "--address", "北京市朝阳区建国路88号",
                     "--language", "zh")

    case = _show(cwd, reference)
    assert case["channel"] == "visit" and case["acknowledgment"] == "print_waiting"
    queue = complaints("letters", "queue", "--json", cwd=cwd, env=_env(cwd))
    letters = json.loads(queue.stdout)
    assert [(row["case_reference"], row["kind"]) for row in letters] == [
        (reference, "acknowledgment")]
    assert "北京市朝阳区建国路88号" in letters[0]["recipient"]
    batch = complaints("letters", "print-batch", "--out", "batch.pdf", cwd=cwd, env=_env(cwd))
    assert batch.returncode == 0, batch.stderr
    text = pdf_text((cwd / "batch.pdf").read_bytes(), cwd)
    assert "我们已受理您的投诉" in text and reference in text
    assert "来信" not in text.split("请致电")[0]  # not thanked for a letter never written


def test_a_complaint_with_email_gets_the_acknowledgment_mail_through_the_outbox(
    cwd: Path,
) -> None:
    done = complaints("cases", "add", "--channel", "phone", "--name", "Li Na", "--email",
                      "Li.Na@Customer.example", "--text-file", "words.txt", "--by", "ivy",
                      "--json", cwd=cwd, env=_env(cwd))
    assert done.returncode == 0, done.stderr
    case = json.loads(done.stdout)

    assert case["customer_email"] == "li.na@customer.example"
    assert case["acknowledgment"] == "sent"
    sent = list((cwd / "var" / "mail" / "outbox").glob("*.eml"))
    assert len(sent) == 1
    mail = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert mail["To"].addresses[0].addr_spec == "li.na@customer.example"
    assert case["reference"] in str(mail["Subject"])


def test_a_form_that_cannot_be_recorded_exits_2_and_says_why(cwd: Path) -> None:
    refused = complaints("cases", "add", "--channel", "fax", "--name", "李娜", "--text-file",
                         "words.txt", "--by", "ivy", cwd=cwd, env=_env(cwd))

    assert refused.returncode == 2
    assert "phone, visit, letter or other" in refused.stderr and "渠道" in refused.stderr
