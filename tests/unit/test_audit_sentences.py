"""Audit entries read as sentences in the reader's language, for every event the
pipeline records (found by reading the source, so a new event without a sentence
fails here), and an unknown event still reads as words, never JSON."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from config.departments import BUILT_IN, read_departments
from config.triage import BUILT_IN as TRIAGE_FILE
from config.triage import read_triage
from console.audit import Vocabulary, audit_sentence, known_actions

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = read_departments(BUILT_IN)
ACTORS = {"zhang": "张三", "ivy": "Ivy Chen"}
WHEN = "2026-12-10T10:00:00+00:00"

# One sample per action: (actor, detail), detail shaped as the pipeline records it.
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "acknowledged_verbally": ("ivy", {"channel": "phone"}),
    "handler_assigned": ("ivy", {"from": None, "to": "zhang"}),
    "customer_wrote": ("system", {"ledger_id": 3, "notified": "handler"}),
    "fields_suggested": ("system", {
        "category": {"value": "quality", "source": "keywords", "reason_en": 'Mentions "漏水"',
                     "reason_zh": "提到“漏水”"},
        "severity": {"value": "normal", "source": "rules",
                     "reason_en": "No safety or urgency words",
                     "reason_zh": "未提到安全或紧急情况的字眼"},
        "product": {"value": "电水壶 K1 / Kettle K1", "source": "catalogue",
                    "reason_en": 'Mentions "水壶"', "reason_zh": "提到“水壶”"},
        "quantity": {"value": 2, "source": "text", "reason_en": "", "reason_zh": ""}}),
    "unrouted": ("ivy", {"department": "quality", "reason": "分错部门",
                         "at": "2026-12-01T08:00:00+00:00"}),
    "dispute_escalated": ("system", {"rounds": 2}),
    "agreement_reminded": ("system", {"closes_on": "2026-12-18T08:00:00+00:00", "notice": 4}),
    "closed_without_reply": ("system", {"notice": 4, "reminded_at": "2026-12-11T08:00:00+00:00"}),
    "merged_into": ("ivy", {"into": "CP-2026-000001", "correspondence": 2, "mails": 1,
                            "attachments": 0}),
    "merged_from": ("ivy", {"duplicate": "CP-2026-000002", "correspondence": 2, "mails": 1,
                            "attachments": 0}),
    "reply_template_added": ("zhang", {"target": "问候", "language": "zh", "template_id": 1}),
    "reply_template_edited": ("zhang", {"target": "问候", "language": "zh", "template_id": 1}),
    "reply_template_deleted": ("zhang", {"target": "问候", "language": "zh", "template_id": 1}),
    "template_saved": ("zhang", {"target": "致歉模板", "version": 2, "note": ""}),
    "received": ("system", {"channel": "email", "follows": "CP-2026-000001"}),
    "document_read": ("system", {"documents": ["投诉.docx"]}),
    "acknowledgment_suppressed": ("system", {"reason": "No usable sender address to reply to."}),
    "acknowledgment_queued_for_print": ("system", {}),
    "letter_queued_for_print": ("system", {"kind": "deadline-2"}),
    "reply_received": ("system", {}),
    "auto_reply_received": ("system", {}),
    "phone_captured": ("system", {"replaced": True}),
    "bounce_received": ("system", {"permanent": True}),
    "unverified_mail_received": ("system", {"address": "x@y.cn", "ledger_id": 4,
                                            "automatic": False}),
    "neutral_ack_suppressed": ("system", {"reason": "The sender is one of our own addresses."}),
    "customer_address_confirmed": ("zhang", {"address": "x@y.cn", "source": "staff"}),
    "unverified_mail_confirmed": ("zhang", {"ledger_id": 4, "address": "x@y.cn"}),
    "unverified_mail_split": ("zhang", {"ledger_id": 4, "new_case": "CP-2026-000009"}),
    "split_from": ("zhang", {"ledger_id": 4, "from_case": "CP-2026-000001"}),
    "customer_email_adopted": ("zhang", {"address": "x@y.cn", "previous": "a@b.cn"}),
    "corrected": ("zhang", {"changes": {"customer_phone": {"old": "", "new": "+8613800138000"},
                                        "demands": {"old": ["refund"], "new": ["repair"]}}}),
    "acknowledgment_held": ("system", {"limit_per_hour": 200}),
    "acknowledgment_released": ("zhang", {"outbound_id": 3, "at": WHEN}),
    "survey_failed": ("system", {"reason": "被退回"}),
    "deadline_sent": ("system", {}),
    "follow_up_by_phone_needed": ("system", {}),
    "follow_up_sent": ("system", {}),
    "satisfaction_answered": ("customer", {"score": 4, "via": "link"}),
    "deadline_set": ("zhang", {"due_at": WHEN, "working_days": 10, "category": "",
                               "severity": "normal"}),
    "deadline_moved": ("zhang", {"previous": WHEN, "due_at": WHEN, "reason": "等待检测报告"}),
    "notice_issued": ("system", {"notice": 1, "delivery": "post", "sha256": "ab" * 32}),
    "customer_agreed": ("customer", {"via": "reply", "note": "同意"}),
    "reminded": ("system", {"due_at": WHEN}),
    "escalated": ("system", {"due_at": WHEN}),
    "resolution_answered": ("customer", {"agrees": False}),
    "personal_data_erased": ("ivy", {"reason": "客户要求"}),
    "retention_erased": ("retention", {"reason": "三年"}),
    # The staff audit trail (``target`` is passed in the detail by staff_trail).
    "password_changed": ("zhang", {"target": "zhang"}),
    "password_set": ("zhang", {"target": "li"}),
    "password_reset": ("zhang", {"target": "li", "via": "mailed_link"}),
    "user_disabled": ("zhang", {"target": "li", "sessions_ended": 2}),
    "user_enabled": ("zhang", {"target": "li"}),
    "role_changed": ("zhang", {"target": "li", "role_from": "intake", "role_to": "handler",
                               "department_from": "", "department_to": "quality"}),
    "email_changed": ("zhang", {"target": "li"}),
    "user_added": ("zhang", {"target": "li", "role": "supervisor", "department": ""}),
    "personal_data_exported": ("zhang", {"target": "1 case(s)", "found_by": "x@y.cn",
                                         "cases": ["CP-2026-000001"]}),
    "status": ("zhang", {"previous": "new", "status": "routed", "department": "quality",
                         "suggested": "quality", "suggestion_source": "keywords",
                         "responsibility": "ours", "opinion": "请检查密封"}),
}
TRANSITIONS: list[dict[str, Any]] = [
    {"previous": "new", "status": "not_ours", "explanation": "承运商负责赔付"},
    {"previous": "routed", "status": "proposed", "resolution": 1, "method": "repair",
     "needs_approval": True},
    {"previous": "proposed", "status": "approved", "resolution": 1, "decision": "approved",
     "note": "同意"},
    {"previous": "proposed", "status": "routed", "resolution": 1, "decision": "sent_back",
     "note": "先换货"},
    {"previous": "approved", "status": "closed", "deadline_kept": True},
    {"previous": "closed", "status": "routed", "reason": "customer replied after closing"},
    {"previous": "routed", "status": "new", "reason": "分错部门"},
]
SUFFIXES = ("_held", "_released", "_failed", "_received", "_sent")


def recorded_actions() -> set[str]:
    """Every action ``pipeline/``, the console and the CLI record, read from the source.

    An f-string action such as ``f"{kind}_held"`` is listed as ``*_held``.
    """
    found: set[str] = set()
    sources = [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "console").rglob("*.py"),
               ROOT / "workers" / "cli.py"]
    for path in sources:
        text = path.read_text()
        found.update(re.findall(r'\baction="(\w+)"', text))
        found.update(re.findall(r'action: str = "(\w+)"', text))
        found.update("*" + s for s in re.findall(r'action=f"\{[^}]+\}(_\w+)"', text))
        found.update("*" + s for s in re.findall(r'"action": f"\{[^}]+\}(_\w+)"', text))
        if re.search(r"\bmove\(session", text):
            found.add("status")
    return found


def _words(language: str) -> Vocabulary:
    return Vocabulary(language=language, actors=ACTORS, departments=DEPARTMENTS,
                      time_zone="Asia/Shanghai", categories=read_triage(TRIAGE_FILE).categories)


def _sample_for(action: str) -> str:
    if not action.startswith("*"):
        return action
    return next(a for a in SAMPLES if a.endswith(action[1:]))


def test_the_source_reader_finds_the_known_events() -> None:
    found = recorded_actions()
    assert {"status", "received", "deadline_moved", "*_held", "*_failed", "*_sent",
            "personal_data_erased", "retention_erased"} <= found


def test_every_recorded_event_has_a_sentence_and_a_sample() -> None:
    known = known_actions()
    for action in sorted(recorded_actions()):
        sample = _sample_for(action)
        assert sample in SAMPLES, action
        assert sample in known or any(f"*{s}" in known and sample.endswith(s)
                                      for s in SUFFIXES), action


@pytest.mark.parametrize("action", sorted(SAMPLES))
def test_each_event_reads_as_a_sentence_in_each_language(action: str) -> None:
    actor, detail = SAMPLES[action]
    for language in ("en", "zh"):
        sentence = audit_sentence(action, detail, actor=actor, words=_words(language))
        assert sentence and not re.search(r'[{}"\[\]]', sentence), sentence
        what = action.replace("_", " ")
        assert f": {what}" not in sentence and f"：{what}" not in sentence  # not the fallback
    chinese = audit_sentence(action, detail, actor=actor, words=_words("zh"))
    # No English words in the Chinese sentence (references and addresses aside).
    residue = re.sub(r"CP-\d{4}-\d{6}|\S+@\S+\.cn|Ivy Chen|\.docx", "", chinese)
    assert not re.search(r"[A-Za-z]{3,}", residue), chinese


@pytest.mark.parametrize("detail", TRANSITIONS, ids=lambda d: f"{d['previous']}-{d['status']}")
def test_each_status_change_reads_as_a_sentence(detail: dict[str, Any]) -> None:
    english = audit_sentence("status", detail, actor="zhang", words=_words("en"))
    chinese = audit_sentence("status", detail, actor="zhang", words=_words("zh"))
    assert "{" not in english + chinese and "status" not in chinese
    assert not re.search(r"[A-Za-z]{3,}", chinese), chinese


def test_routing_names_the_department_and_the_suggestion() -> None:
    actor, detail = SAMPLES["status"]
    assert audit_sentence("status", detail, actor=actor, words=_words("en")) == (
        "张三 routed the case to Quality management (suggested: Quality management, keywords;"
        " responsibility: ours). Opinion: 请检查密封.")
    assert audit_sentence("status", detail, actor=actor, words=_words("zh")) == (
        "张三 将投诉分派至 质量管理部（建议：质量管理部，关键词；责任：我方）。意见：请检查密封。")


def test_dates_are_local_and_in_the_readers_language() -> None:
    actor, detail = SAMPLES["deadline_moved"]
    assert audit_sentence("deadline_moved", detail, actor=actor, words=_words("zh")) == (
        "张三 将处理期限由2026年12月10日调整为2026年12月10日，原因：等待检测报告")
    assert "10 December 2026" in audit_sentence("reminded", {"due_at": WHEN}, actor="system",
                                                 words=_words("en"))


def test_an_unknown_event_still_reads_as_words_not_json() -> None:
    detail = {"channel": "email", "follows": None, "round": 2}
    english = audit_sentence("plan_revised", detail, actor="ivy", words=_words("en"))
    assert english == "Ivy Chen: plan revised (channel: email; follows: —; round: 2)"
    chinese = audit_sentence("plan_revised", detail, actor="ivy", words=_words("zh"))
    assert chinese == "Ivy Chen：plan revised（channel: 电子邮件; follows: —; round: 2）"
    assert '{"' not in english + chinese


def test_suggested_fields_name_each_value_and_why_in_the_readers_language() -> None:
    actor, detail = SAMPLES["fields_suggested"]
    assert audit_sentence("fields_suggested", detail, actor=actor, words=_words("zh")) == (
        "系统根据投诉内容建议：投诉类别：产品质量（提到“漏水”）；严重程度：一般（未提到安全或紧急情况的字眼）；"
        "品名：电水壶 K1（提到“水壶”）；数量：2。")
    assert audit_sentence("fields_suggested", detail, actor=actor, words=_words("en")) == (
        "The system suggested from the complaint's words: Category: Product quality (mentions"
        " “漏水”); Severity: normal (no safety or urgency words); Product: Kettle K1 (mentions"
        " “水壶”); Quantity: 2.")


def test_a_customer_mail_names_who_was_told() -> None:
    told = {who: audit_sentence("customer_wrote", {"notified": who}, actor="system",
                                words=_words("en")) for who in ("handler", "intake", "nobody")}
    assert told["handler"] == "The customer wrote; the handler was told by mail."
    assert told["intake"] == "The customer wrote; the case waits in the review queue."
    assert "no address" in told["nobody"]
