"""The audit trail as sentences in the reader's language, never as raw JSON.

Each event is stored as an action and a small detail dict (``record_event``). Staff
read it as "张三 将投诉分派至 质量管理部（建议：质量管理部，关键词）" or "Zhang San routed
the case to Quality (suggested: Quality, keywords)": one sentence pair per action,
filled with display values (department names, status labels, letter kinds, dates in
local time, yes/no words). An action no sentence knows yet still reads as words
("Zhang San: sent back (reason: …)"), never as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.departments import Department, department_by_key
from config.triage import Category
from console.i18n import STRINGS, VALUES, demand_label, kind_label, status_label
from letters.formatting import format_date, local_time
from pipeline.db.models import CaseEvent, StaffAudit, User

MAX_VALUE_CHARS = 300


@dataclass(frozen=True)
class Vocabulary:
    """What turns stored values into words: the reader's language, staff names, departments."""

    language: str
    actors: Mapping[str, str]  # username -> display name
    departments: Sequence[Department] = ()
    time_zone: str = ""
    categories: Sequence[Category] = ()

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.language == "zh" else pair[0]


ACTORS = {"system": ("The system", "系统"), "customer": ("The customer", "客户"),
          "policy": ("The fixed policy", "既定政策"), "retention": ("Retention", "保留期限清理"),
          "cli": ("The command line", "命令行")}
REASONS: dict[str, str] = {  # fixed reasons recorded in English by the pipeline
    "No usable sender address to reply to.": "没有可回复的发件地址。",
    "The sender is one of our own addresses.": "发件人是我们自己的地址。",
    "Too many automatic replies to this address recently.": "近期向该地址发送的自动回复过多。",
    "This address sent more mail today than a person would.": "该地址今天发来的邮件多得不像个人。",
    "no address": "没有地址。",
    "customer replied after closing": "客户在结案后再次来信",
    "Within the fixed policy: no approval needed.": "符合既定政策，无需审批。",
}


class _Values(dict[str, str]):
    """Display values for a sentence, computed from the event's detail on demand."""

    def __init__(self, detail: Mapping[str, Any], words: Vocabulary, actor: str) -> None:
        super().__init__()
        self.detail, self.words = detail, words
        self["actor"] = words.actors.get(actor) or (
            words.pick(ACTORS[actor]) if actor in ACTORS else actor)

    def __missing__(self, key: str) -> str:
        value = self.detail.get(key)
        shown = _shown(key, value, self.words)
        self[key] = shown
        return shown


def _shown(key: str, value: Any, words: Vocabulary) -> str:
    """One stored value in words (a department key as its name, an ISO time as a date)."""
    if value is None or value == "":
        return "—"
    if key in ("from", "to") and isinstance(value, str):  # staff user names: display names
        return words.actors.get(value) or value
    if key in ("department", "suggested", "department_from", "department_to"):
        department = department_by_key(words.departments, str(value))
        return department.name(words.language) if department else str(value)
    if key in ("status", "previous") and isinstance(value, str) and not _is_time(value):
        return status_label(value, words.language)
    if key == "kind":
        return kind_label(str(value), words.language)
    if key == "method" and f"method_{value}" in STRINGS:
        return words.pick(STRINGS[f"method_{value}"])
    if isinstance(value, bool):
        return words.pick(("yes", "是") if value else ("no", "否"))
    if isinstance(value, str) and _is_time(value):
        return format_date(local_time(datetime.fromisoformat(value), words.time_zone),
                           words.language)
    if isinstance(value, list):
        return "、".join(_shown(key, v, words) for v in value) if words.language == "zh" \
            else ", ".join(_shown(key, v, words) for v in value)
    if isinstance(value, str) and value in VALUES:
        return words.pick(VALUES[value])
    if words.language == "zh" and isinstance(value, str) and value in REASONS:
        return REASONS[value]
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def _is_time(value: str) -> bool:
    if len(value) < 19 or value[4] != "-" or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


Sentence = tuple[str, str]
SENTENCES: dict[str, Sentence] = {
    "received": ("The complaint arrived by {channel}{follows_note}.",
                 "投诉经{channel}送达{follows_note}。"),
    "document_read": ("The complaint was read from the attached document: {documents}.",
                      "投诉内容取自所附文档：{documents}。"),
    "acknowledgment_suppressed": ("No acknowledgment was sent: {reason}",
                                  "未发送受理确认：{reason}"),
    "acknowledgment_queued_for_print": ("The acknowledgment was put in the print queue.",
                                        "受理确认信已加入打印队列。"),
    "letter_queued_for_print": ("The {kind} was put in the print queue.",
                                "{kind}已加入打印队列。"),
    "auto_reply_received": ("An automatic reply (out of office or similar) arrived.",
                            "收到一封自动回复（如外出自动回复）。"),
    "bounce_received": ("Our mail to the customer came back{permanent_note}.",
                        "我们发给客户的邮件被退回{permanent_note}。"),
    "unverified_mail_received": (
        "A mail naming this case came from {address}, which is not the customer's; it changed"
        " nothing.", "一封提及本案的邮件来自 {address}，并非客户的地址，未改动任何内容。"),
    "neutral_ack_suppressed": ("No neutral acknowledgment was sent: {reason}",
                               "未发送中性回执：{reason}"),
    "customer_address_confirmed": ("{actor} confirmed {address} as the customer's address.",
                                   "{actor} 确认 {address} 为客户地址。"),
    "unverified_mail_confirmed": ("{actor} confirmed that the mail from {address} is the"
                                  " customer's.",
                                  "{actor} 确认来自 {address} 的邮件是客户本人的。"),
    "unverified_mail_split": ("{actor} opened the new case {new_case} from another sender's"
                              " mail.", "{actor} 将其他发件人的邮件另立为新投诉 {new_case}。"),
    "split_from": ("{actor} opened this case from a mail that named {from_case}.",
                   "{actor} 根据提及 {from_case} 的邮件新建本案。"),
    "customer_email_adopted": ("{actor} made {address} the address we write to (was"
                               " {previous}).",
                               "{actor} 将联系地址改为 {address}（原为 {previous}）。"),
    "fields_suggested": ("{actor} suggested from the complaint's words: {suggestions_list}.",
                         "{actor}根据投诉内容建议：{suggestions_list}。"),
    "corrected": ("{actor} corrected the record form: {changes_list}.",
                  "{actor} 修改了记录单：{changes_list}。"),
    "follow_up_by_phone_needed": ("No working email address: ask the customer for their"
                                  " satisfaction by phone.",
                                  "客户没有可用的邮箱，请电话回访满意度。"),
    "follow_up_sent": ("The satisfaction survey was sent.", "满意度回访已发送。"),
    "satisfaction_answered": ("The customer rated our handling {score}/5 (by {via}).",
                              "客户评价 {score}/5 分（{via}）。"),
    "deadline_set": ("{actor} set the deadline: our answer by {due_at} ({working_days} working"
                     " days).",
                     "{actor} 设定处理期限：{due_at}前答复（{working_days} 个工作日）。"),
    "deadline_moved": ("{actor} moved the deadline from {previous} to {due_at}: {reason}",
                       "{actor} 将处理期限由{previous}调整为{due_at}，原因：{reason}"),
    "notice_issued": ("The written notice was issued (by {delivery}).",
                      "书面处理结果通知已发出（{delivery}）。"),
    "customer_agreed": ("The customer agreed to the resolution (by {via}); recorded by"
                        " {actor}.", "客户同意处理方案（{via}），由{actor}登记。"),
    "reminded": ("The department was reminded that the deadline is {due_at}.",
                 "已提醒责任部门：处理期限为{due_at}。"),
    "escalated": ("The deadline {due_at} passed: the case went to a supervisor.",
                  "已超过处理期限{due_at}，已上报主管。"),
    "personal_data_erased": ("{actor} erased the customer's personal data: {reason}",
                             "{actor} 删除了客户的个人信息，原因：{reason}"),
    "retention_erased": ("The customer's personal data was erased at the end of the retention"
                         " period.", "保留期限届满，客户的个人信息已删除。"),
    "reply_received": ("The customer replied{via_note}.", "客户来信回复{via_note}。"),
    "phone_captured": ("The customer's reply gave a phone number{replaced_note}.",
                       "客户回复中提供了电话号码{replaced_note}。"),
    "resolution_answered": ("The customer answered the written notice{agrees_note}.",
                            "客户回复了书面处理结果通知{agrees_note}。"),
    # The staff audit trail (accounts and personal data; ``target`` is the account).
    "password_changed": ("{actor} changed their own password.", "{actor} 修改了自己的密码。"),
    "password_set": ("{actor} set a new password for {target}.",
                     "{actor} 为 {target} 设置了新密码。"),
    "password_reset": ("{actor} reset the password of {target} ({via}).",
                       "{actor} 重置了 {target} 的密码（{via}）。"),
    "user_disabled": ("{actor} disabled the account {target}; {sessions_ended} session(s)"
                      " ended.", "{actor} 停用了账号 {target}，结束了 {sessions_ended} 个会话。"),
    "user_enabled": ("{actor} enabled the account {target} again.",
                     "{actor} 重新启用了账号 {target}。"),
    "role_changed": ("{actor} changed the role of {target}: {role_from} ({department_from})"
                     " → {role_to} ({department_to}).",
                     "{actor} 修改了 {target} 的角色：{role_from}（{department_from}）→"
                     " {role_to}（{department_to}）。"),
    "email_changed": ("{actor} changed the mail address of {target}.",
                      "{actor} 修改了 {target} 的邮箱。"),
    "user_added": ("{actor} added the account {target} ({role}, {department}).",
                   "{actor} 添加了账号 {target}（{role}，{department}）。"),
    "personal_data_exported": ("{actor} exported a customer's personal data ({case_count}"
                               " case(s)).",
                               "{actor} 导出了客户的个人信息（{case_count} 个投诉）。"),
}
SENTENCES.update({  # issue 12 and 13: phone and counter complaints, people, disputes, merges
    "acknowledged_verbally": ("{actor} told the customer the reference in person or on the"
                              " phone ({channel}).",
                              "{actor} 已当面或电话告知客户案件编号（{channel}）。"),
    "handler_assigned": ("{actor} made {to} responsible for the case (before: {from}).",
                         "{actor} 指定 {to} 负责本案（此前：{from}）。"),
    "customer_wrote": ("The customer wrote; {notified_note}.", "客户来信，{notified_note}。"),
    "unrouted": ("{actor} sent the case back to review from {department}: {reason}",
                 "{actor} 将案件从 {department} 退回审核：{reason}"),
    "dispute_escalated": ("The customer has refused the resolution {rounds} times: the case"
                          " went to a supervisor.",
                          "客户已 {rounds} 次不接受处理方案，案件已转交主管。"),
    "agreement_reminded": ("The customer was reminded to answer our notice; the case closes on"
                           " {closes_on} without a reply.",
                           "已提醒客户答复处理结果通知；如无答复，将于 {closes_on} 结案。"),
    "closed_without_reply": ("The customer did not answer our notice: the case closed without"
                             " a reply.", "客户未答复处理结果通知，案件按未回复结案。"),
    "merged_into": ("{actor} merged this case into {into}: its correspondence moved there.",
                    "{actor} 将本案并入 {into}，往来信函已移至该案。"),
    "merged_from": ("{actor} merged the duplicate {duplicate} into this case.",
                    "{actor} 将重复投诉 {duplicate} 并入本案。"),
    "reply_template_added": ("{actor} added the reply template “{target}” ({language}).",
                             "{actor} 新增了回复模板“{target}”（{language}）。"),
    "reply_template_edited": ("{actor} changed the reply template “{target}” ({language}).",
                              "{actor} 修改了回复模板“{target}”（{language}）。"),
    "reply_template_deleted": ("{actor} deleted the reply template “{target}” ({language}).",
                               "{actor} 删除了回复模板“{target}”（{language}）。"),
    "template_saved": ("{actor} saved version {version} of the letter template {target}.",
                       "{actor} 保存了信件模板 {target} 的第 {version} 版。"),
})
SUFFIX_SENTENCES: dict[str, Sentence] = {  # "{kind}_held" etc., for any letter kind
    "_held": ("The {kind} was held back: more than {limit_per_hour} automatic mails this hour.",
              "{kind}暂缓发送：本小时自动邮件已超过 {limit_per_hour} 封。"),
    "_released": ("{actor} released the held {kind}; it is sent now.",
                  "{actor} 放行了暂缓发送的{kind}，现在发送。"),
    "_failed": ("The {kind} could not be sent{reason_note}.", "{kind}未能发出{reason_note}。"),
    "_sent": ("The {kind} was sent.", "{kind}已发出。"),
}
STATUS_SENTENCES: dict[tuple[str, str], Sentence] = {
    ("new", "routed"): ("{actor} routed the case to {department} ({suggestion_note};"
                        " responsibility: {responsibility}){opinion_note}.",
                        "{actor} 将投诉分派至 {department}（{suggestion_note}；"
                        "责任：{responsibility}）{opinion_note}。"),
    ("new", "not_ours"): ("{actor} closed the case as not our responsibility and explained why"
                          " to the customer: {explanation}",
                          "{actor} 按非我方责任结案，并向客户书面说明：{explanation}"),
    ("routed", "proposed"): ("{actor} proposed a resolution ({method}){approval_note}.",
                             "{actor} 提交了处理方案（{method}）{approval_note}。"),
    ("proposed", "approved"): ("{actor} approved the resolution{note_note}.",
                               "{actor} 批准了处理方案{note_note}。"),
    ("proposed", "routed"): ("{actor} sent the resolution back to the department{note_note}.",
                             "{actor} 将处理方案退回部门{note_note}。"),
    ("approved", "closed"): ("{actor} closed the case{kept_note}.", "{actor} 结案{kept_note}。"),
    ("closed", "routed"): ("The case reopened: {reason}.", "案件重新打开：{reason}。"),
    ("approved", "disputed"): ("The customer did not accept the resolution: the department"
                               " proposes again.", "客户不接受处理方案，部门将重新提出方案。"),
    ("disputed", "proposed"): ("{actor} proposed a revised resolution ({method}){approval_note}.",
                               "{actor} 提交了修改后的处理方案（{method}）{approval_note}。"),
    ("not_ours", "new"): ("The customer wrote back: the case is back in review.",
                          "客户回信，案件重新进入审核。"),
}
NOTIFIED: dict[str, Sentence] = {  # who heard that the customer wrote (customer_wrote)
    "handler": ("the handler was told by mail", "已邮件通知处理人员"),
    "department": ("the department was told by mail", "已邮件通知责任部门"),
    "supervisor": ("the supervisors were told by mail", "已邮件通知主管"),
    "intake": ("the case waits in the review queue", "案件在待审核队列中"),
    "nobody": ("nobody could be told: no address is set", "没有可通知的邮箱地址"),
}
GENERIC_STATUS: Sentence = ("{actor} changed the status from {previous} to {status}{reason_note}.",
                            "{actor} 将状态由“{previous}”改为“{status}”{reason_note}。")


def _notes(values: _Values, words: Vocabulary) -> None:
    """The optional parts of sentences ("(it follows CP-…)"), empty when not recorded."""
    detail, zh = values.detail, words.language == "zh"

    def note(key: str, en: str, cn: str) -> str:
        return (cn if zh else en).format_map(values) if detail.get(key) else ""

    values["follows_note"] = note("follows", " (it follows {follows})", "（接续 {follows}）")
    values["opinion_note"] = note("opinion", ". Opinion: {opinion}", "。意见：{opinion}")
    values["note_note"] = note("note", ": {note}", "：{note}")
    values["reason_note"] = note("reason", ": {reason}", "：{reason}")
    values["via_note"] = (words.pick((" on the status page", "（经进度查询页面）"))
                          if detail.get("via") == "status_page" else "")
    values["permanent_note"] = (words.pick((": the address does not work", "：该地址无法使用"))
                                if detail.get("permanent") else
                                words.pick((" for now", "（暂时）")))
    values["replaced_note"] = words.pick(("; it replaced the one we had", "，已替换原有号码")
                                         if detail.get("replaced") else
                                         ("; it was recorded", "，已登记"))
    values["notified_note"] = words.pick(NOTIFIED.get(str(detail.get("notified")),
                                                      NOTIFIED["nobody"]))
    values["approval_note"] = (words.pick(("; it needs a supervisor's approval", "，需主管批准"))
                               if detail.get("needs_approval") else "")
    kept = detail.get("deadline_kept")
    values["kept_note"] = "" if kept is None else words.pick(
        (" (deadline kept)", "（按期完成）") if kept else (" (after the deadline)", "（超过期限）"))
    agrees = detail.get("agrees")
    values["agrees_note"] = words.pick(
        (": it is unclear whether they agree", "，未明确表示是否同意") if agrees is None
        else (": they agree", "，表示同意") if agrees else (": they do not agree", "，表示不同意"))
    values["suggestion_note"] = (
        (words.pick(("suggested: {suggested}, {suggestion_source}", "建议：{suggested}，"
                     "{suggestion_source}"))).format_map(values)
        if detail.get("suggested") else words.pick(("no suggestion", "无建议")))
    values["changes_list"] = _changes(detail.get("changes"), words)
    values["suggestions_list"] = _suggestions(detail, words)
    cases = detail.get("cases")
    values["case_count"] = str(len(cases)) if isinstance(cases, list) else "—"


def _changes(changes: object, words: Vocabulary) -> str:
    """Corrected fields as "Phone: old → new", field names in the reader's language."""
    if not isinstance(changes, Mapping):
        return "—"
    parts = []
    for name, change in changes.items():
        label = words.pick(STRINGS[name]) if name in STRINGS else str(name)
        old, new = (change.get("old"), change.get("new")) if isinstance(change, Mapping) else (
            None, change)
        if name == "demands":
            old, new = ([demand_label(str(d), words.language) for d in v]
                        if isinstance(v, list) else v for v in (old, new))
        parts.append(f"{label}: {_shown('', old, words)} → {_shown('', new, words)}")
    return "; ".join(parts)


def _suggestions(detail: Mapping[str, Any], words: Vocabulary) -> str:
    """Suggested fields as "Category: Quality (mentions “漏水”)", in the reader's language."""
    parts = []
    for name in ("category", "severity", "product", "quantity"):
        found = detail.get(name)
        if not isinstance(found, Mapping) or found.get("value") in (None, ""):
            continue
        label = words.pick(STRINGS[name])
        shown = _field_value(name, found["value"], words)
        if words.language == "zh":
            reason = str(found.get("reason_zh") or "")
            parts.append(f"{label}：{shown}" + (f"（{reason}）" if reason else ""))
        else:
            reason = str(found.get("reason_en") or "")
            reason = re.sub(r'"([^"]*)"', "“\\1”", reason[:1].lower() + reason[1:])
            parts.append(f"{label}: {shown}" + (f" ({reason})" if reason else ""))
    return words.pick(("; ", "；")).join(parts) or "—"


def _field_value(name: str, value: Any, words: Vocabulary) -> str:
    """A classification value as staff read it: the category's and severity's names, and a
    bilingual catalogue product ("电水壶 K1 / Kettle K1") in the reader's language."""
    if name == "category":
        category = next((c for c in words.categories if c.key == value), None)
        return category.name(words.language) if category else str(value)
    if name == "severity" and f"sev_{value}" in STRINGS:
        return words.pick(STRINGS[f"sev_{value}"])
    text = str(value)
    if name == "product" and " / " in text:
        zh, en = text.split(" / ", 1)
        return zh if words.language == "zh" else en
    return _shown(name, text, words)


def _sentence(action: str, detail: Mapping[str, Any]) -> Sentence | None:
    if action == "status":
        pair = (str(detail.get("previous")), str(detail.get("status")))
        return STATUS_SENTENCES.get(pair, GENERIC_STATUS)
    if action in SENTENCES:
        return SENTENCES[action]
    for suffix, sentence in SUFFIX_SENTENCES.items():
        if action.endswith(suffix):
            return sentence
    return None


def _kind_of(action: str) -> str | None:
    for suffix in SUFFIX_SENTENCES:
        if action.endswith(suffix):
            return action[: -len(suffix)]
    return None


def audit_sentence(action: str, detail: Mapping[str, Any] | None, *, actor: str,
                   words: Vocabulary) -> str:
    """One audit event as a sentence in the reader's language."""
    detail = detail if isinstance(detail, Mapping) else {}
    values = _Values(detail, words, actor)
    sentence = _sentence(action, detail)
    if sentence is None:
        return _generic(action, values, words)
    kind = _kind_of(action) if action not in SENTENCES else None
    if kind is not None and "kind" not in detail:
        values["kind"] = kind_label(kind, words.language)
    _notes(values, words)
    return words.pick(sentence).format_map(values)


def _generic(action: str, values: _Values, words: Vocabulary) -> str:
    """An action without a sentence yet: still words, each detail as "name: value"."""
    shown = "; ".join(f"{key.replace('_', ' ')}: {values[key]}" for key in values.detail)
    what = action.replace("_", " ")
    if words.language == "zh":
        return f"{values['actor']}：{what}" + (f"（{shown}）" if shown else "")
    return f"{values['actor']}: {what}" + (f" ({shown})" if shown else "")


def known_actions() -> frozenset[str]:
    """Every action with a sentence of its own (the suffix forms as ``*_held`` etc.)."""
    return frozenset([*SENTENCES, "status", *(f"*{suffix}" for suffix in SUFFIX_SENTENCES)])


def sentences_for(events: Sequence[Any], words: Vocabulary) -> list[str]:
    """Sentences for case events (anything with ``action``, ``detail`` and ``actor``)."""
    return [audit_sentence(e.action, e.detail, actor=e.actor, words=words) for e in events]


def trail(db: Session, events: Sequence[CaseEvent], *, language: str,
          departments: Sequence[Department], time_zone: str,
          categories: Sequence[Category] = ()) -> list[tuple[datetime, str]]:
    """The case page's audit trail: when, and what happened as a sentence."""
    names = {row.username: row.display_name or row.username for row in db.execute(
        select(User.username, User.display_name).where(
            User.username.in_({e.actor for e in events})))}
    words = Vocabulary(language=language, actors=names, departments=departments,
                       time_zone=time_zone, categories=categories)
    return [(e.at, audit_sentence(e.action, e.detail, actor=e.actor, words=words))
            for e in events]


def staff_trail(rows: Sequence[StaffAudit], *, language: str, actors: Mapping[str, str],
                departments: Sequence[Department]) -> list[tuple[datetime, str]]:
    """The staff audit trail (accounts, personal data) as sentences."""
    words = Vocabulary(language=language, actors=actors, departments=departments)
    return [(row.at, audit_sentence(row.action, {**row.detail, "target": row.target},
                                    actor=row.actor, words=words)) for row in rows]
