"""The written-resolution notice (书面处理结果通知): our answer, point by point.

The process requires the customer to be told *in writing* the result and how it was
reached, with an answer to every point they raised. This letter is that record: it is
archived unchanged with the case and sent as a PDF attachment (or printed for post).
Each point is printed in the customer's own words, followed by our answer, exactly as
the approved resolution holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.platypus import Flowable, KeepTogether

from letters.pdf.layout import LetterFrame, Sender, para, render_letter, styles
from letters.status_link import status_paragraph

METHODS = {
    "zh": {"compensation": "赔偿", "return": "退货", "discount": "折价", "replacement": "换货",
           "repair": "维修", "apology": "致歉", "explanation": "解释说明", "other": "其他"},
    "en": {"compensation": "Compensation", "return": "Return and refund", "discount":
           "Price reduction", "replacement": "Replacement", "repair": "Repair",
           "apology": "Apology", "explanation": "Explanation", "other": "Other"},
}

WORDS = {
    "zh": {
        "title": "投诉处理结果书面通知", "reference": "受理编号", "date": "日期",
        "dear": "尊敬的{name}：", "customer": "客户",
        "intro": "您于{received}提出的投诉（受理编号 {reference}）已由{department}调查处理完毕。"
                 "现将处理结果书面通知如下，并对您提出的每一个问题逐一答复。",
        "points": "一、您提出的问题及我们的答复", "raised": "您的问题：", "answer": "我们的答复：",
        "findings": "二、调查结果", "decision": "三、处理决定",
        "method": "处理方式：{method}", "compensation": "赔偿金额：人民币 {amount} 元",
        "next": "四、后续安排",
        "agree": "如您同意以上处理结果，请直接回复本邮件“同意”，或致电我们告知；如有异议，"
                 "请回复说明理由，我们会再次核实。",
        "contact": "联系人：{contact}　电话：{phone}",
        "closing": "感谢您对我们工作的监督与支持。", "signature": "{company} 客户服务部",
        "footer": "{reference} · 第 {{page}} 页",
    },
    "en": {
        "title": "Written notice of the resolution of your complaint", "reference": "Reference",
        "date": "Date", "dear": "Dear {name},", "customer": "customer",
        "intro": "Our {department} team has completed its investigation of the complaint you "
                 "made on {received} (reference {reference}). This letter sets out the result, "
                 "and answers each point you raised.",
        "points": "1. The points you raised, and our answers", "raised": "You raised: ",
        "answer": "Our answer: ", "findings": "2. What we found", "decision": "3. Our decision",
        "method": "Resolution: {method}", "compensation": "Compensation: CNY {amount}",
        "next": "4. What happens next",
        "agree": "If you agree with this resolution, please reply \"I agree\" to this email or "
                 "call us. If you do not, reply and tell us why, and we will look at it again.",
        "contact": "Your contact: {contact}   Phone: {phone}",
        "closing": "Thank you for helping us improve.", "signature": "Customer Service, {company}",
        "footer": "{reference} · page {{page}}",
    },
}


@dataclass(frozen=True)
class ResolutionNotice:
    """Everything the notice says, as plain values."""

    reference: str
    language: str  # zh or en
    customer_name: str
    recipient_lines: Sequence[str]  # name and postal address, or name and email
    received: str  # already formatted for the language
    issued: str
    department_name: str  # in the customer's language
    answers: Sequence[tuple[str, str]]  # (point raised, our answer)
    findings: str
    method: str
    compensation_amount: Decimal
    next_steps: str
    contact_person: str
    sender: Sender
    status_url: str = ""  # the customer's status page; "" leaves it out
    # A revised notice: the sentence naming the notice it replaces (letters/disputes.py).
    revises: str = ""


def _story(notice: ResolutionNotice, words: dict[str, str], font: str) -> list[Flowable]:
    s = styles(font)
    language = "zh" if notice.language == "zh" else "en"
    name = notice.customer_name.strip() or words["customer"]
    story: list[Flowable] = [
        para(words["title"], s["title"]),
        *([para(notice.revises, s["heading"])] if notice.revises else []),
        para(words["dear"].format(name=name), s["body"]),
        para(words["intro"].format(received=notice.received, reference=notice.reference,
                                   department=notice.department_name), s["body"]),
        para(words["points"], s["heading"]),
    ]
    for number, (point, answer) in enumerate(notice.answers, start=1):
        story.append(KeepTogether([
            para(f"{number}. {words['raised']}{point}", s["point"]),
            para(f"{words['answer']}{answer}", s["answer"]),
        ]))
    story += [para(words["findings"], s["heading"]), para(notice.findings, s["body"]),
              para(words["decision"], s["heading"]),
              para(words["method"].format(method=METHODS[language].get(notice.method,
                                                                       notice.method)), s["body"])]
    if notice.compensation_amount > 0:
        story.append(para(words["compensation"].format(amount=f"{notice.compensation_amount:,.2f}"),
                          s["body"]))
    if notice.next_steps.strip():
        story += [para(words["next"], s["heading"]), para(notice.next_steps, s["body"])]
    story += [para(words["agree"], s["body"])]
    if notice.contact_person.strip():
        story.append(para(words["contact"].format(contact=notice.contact_person,
                                                  phone=notice.sender.phone), s["body"]))
    story += [para(line, s["body"]) for line in
              status_paragraph(language, notice.status_url).split("\n") if line]
    story += [para(words["closing"], s["body"]),
              para(words["signature"].format(company=notice.sender.company), s["body"])]
    return story


def render_resolution_notice(notice: ResolutionNotice, *, font: str) -> bytes:
    """The notice as PDF bytes, in the customer's language."""
    words = WORDS["zh" if notice.language == "zh" else "en"]
    frame = LetterFrame(
        sender=notice.sender, recipient_lines=notice.recipient_lines,
        reference_label=words["reference"], reference=notice.reference,
        date_label=words["date"], date=notice.issued,
        title=f"{words['title']} {notice.reference}",
        footer=words["footer"].format(reference=notice.reference),
    )
    return render_letter(frame, _story(notice, words, font), font=font)

