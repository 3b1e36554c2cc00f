"""Every template rendered with sample values: to check an admin's edit, and to preview it.

An edited template is accepted only if every letter that uses it still renders with
realistic values, in every variant (phone given or not, by mail or by post, a first or
a moved deadline). The samples go through the same ``render_*`` functions as real
letters, so a template sees exactly the context it will see in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from jinja2 import TemplateError, TemplateSyntaxError

from letters.acknowledgment import AckLetter, RenderedMail, render_acknowledgment
from letters.customer_wrote import CustomerWroteNotice, render_customer_wrote
from letters.deadline import DeadlineLetter, render_deadline
from letters.disputes import (
    AgreementReminder,
    render_agreement_reminder,
    revision_line,
    staff_note,
    staff_subject,
)
from letters.neutral_ack import render_neutral_ack
from letters.not_ours import NotOursLetter, render_not_ours
from letters.notice_mail import render_notice_mail
from letters.pdf.acknowledgment import PostalAck, acknowledgment_content
from letters.pdf.resolution_notice import PHRASES, notice_words
from letters.render import environment, template_names, trial
from letters.staff_notices import (
    render_department_notice,
    render_due_reminder,
    render_escalation,
    render_password_reset,
)
from letters.staff_reply import StaffReplyLetter, render_staff_reply
from letters.survey import SurveyLetter, render_survey

REFERENCE = "CP-2026-000123"
COMPANY = "Example Co. 示例公司"
PHONE = "400-000-0000"
ZONE = "Asia/Shanghai"
RECEIVED = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
DUE = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LINK = "https://complaints.example/cases/CP-2026-000123"
STATUS_URL = "https://complaints.example/status/sample-token"
KINDS = {".html.j2": "mail-html", ".txt.j2": "mail-text", ".letter.j2": "letter",
         ".subject.j2": "mail-subject"}
UNNAMED = ("neutral_ack", "password_reset", "postal_ack")
"""Families whose subject names no case; every other subject keeps the reference, which
threads the customer's reply into the case."""
PRINTED = {"deadline": "deadline", "not_ours": "not-ours", "survey": "survey",
           "postal_ack": "acknowledgment", "notice_letter": "resolution-notice",
           "agreement_reminder": "agreement-reminder", "notice_revision": "revised-notice"}
"""Template families that also go out on paper, and their ``letters preview`` kind."""


class TemplateCheckError(ValueError):
    """A template that does not render; the message says where and why (for admins)."""


@dataclass(frozen=True)
class Sample:
    """One rendered sample: what the recipient would read."""

    subject: str
    text: str
    html: str | None


def _mail(rendered: RenderedMail) -> Sample:
    return Sample(rendered.subject, rendered.text, rendered.html)


def kind_of(name: str) -> str:
    """mail-text, mail-html, mail-subject or letter, from the template's name."""
    return next((kind for suffix, kind in KINDS.items() if name.endswith(suffix)), "")


def language_of(name: str) -> str:
    """zh or en for one-language templates, zh+en for bilingual ones (staff, neutral)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ("zh", "en") else "zh+en"


def family_of(name: str) -> str:
    """acknowledgment for ``acknowledgment.zh.txt.j2``; partials belong to every mail."""
    return name.split(".")[0]


def printed_kind(name: str) -> str:
    """The ``letters preview`` kind that prints this template, or "" when none does."""
    return PRINTED.get(family_of(name), "")


def _name(language: str) -> str:
    return "王建国" if language == "zh" else "Mary Jones"


def _acknowledgment(language: str) -> list[Sample]:
    letters = [AckLetter(reference=REFERENCE, language=language, customer_name=_name(language),
                         summary="水壶用了三天就漏水。\n\n请换货。" if language == "zh"
                         else "The kettle leaks.\n\nPlease replace it.",
                         phone_on_file=phone, received_at=RECEIVED, review_days=2,
                         company_name=COMPANY, service_phone=PHONE, time_zone=ZONE)
               for phone in ("", "+8613800138000")]
    return [_mail(render_acknowledgment(letter)) for letter in letters]


def _deadline(language: str) -> list[Sample]:
    out = []
    for changed in (False, True):
        for post in (False, True):
            letter = DeadlineLetter(
                reference=REFERENCE, language=language, customer_name=_name(language),
                department_name="质量管理部" if language == "zh" else "Quality",
                contact_name="李娜", deadline=DUE, time_zone=ZONE, company_name=COMPANY,
                service_phone=PHONE, third_party="顺丰速运" if not changed else "",
                changed=changed, previous_deadline=RECEIVED if changed else None,
                reason="检测需要更多时间。" if changed else "", post=post)
            out.append(_mail(render_deadline(letter)))
    return out


def _not_ours(language: str) -> list[Sample]:
    return [_mail(render_not_ours(NotOursLetter(
        reference=REFERENCE, language=language, customer_name=_name(language),
        explanation="该商品由第三方店铺销售，请联系对方客服 400-123-4567。",
        company_name=COMPANY, service_phone=PHONE, post=post)))
        for post in (False, True)]


def _survey(language: str) -> list[Sample]:
    links = {score: f"https://complaints.example/s/{score}" for score in range(1, 6)}
    return [_mail(render_survey(SurveyLetter(
        reference=REFERENCE, language=language, customer_name=_name(language),
        closed_at=DUE, time_zone=ZONE, links=links, company_name=COMPANY)))]


def _neutral(language: str) -> list[Sample]:
    return [_mail(render_neutral_ack(company_name=COMPANY,
                                            service_phone=PHONE))]


def _notice_mail(language: str) -> list[Sample]:
    return [_mail(render_notice_mail(reference=REFERENCE, language=language,
                                     customer_name=_name(language), company_name=COMPANY,
                                     status_url=status_url, revises=revises))
            for status_url, revises in (("", ""), (STATUS_URL, "（修订）" if language == "zh"
                                                   else "(revised)"))]


def _postal_ack(language: str) -> list[Sample]:
    out = []
    for phone, by_letter in (("", True), ("+8613800138000", True), ("", False)):
        content = acknowledgment_content(PostalAck(
            reference=REFERENCE, language=language, customer_name=_name(language),
            address="浙江省杭州市西湖区文三路88号", letter_date="2026-11-18",
            received_at=RECEIVED, phone_on_file=phone, review_days=2, company_name=COMPANY,
            company_address="上海市浦东新区世纪大道1号", service_phone=PHONE, time_zone=ZONE,
            by_letter=by_letter, status_url=STATUS_URL))
        blocks = [content.salutation, *content.paragraphs, content.closing, content.signature]
        out.append(Sample(content.subject, "\n\n".join(b for b in blocks if b), None))
    return out


def _notice_letter(language: str) -> list[Sample]:
    """The notice's phrases filled in as the layout fills them (the PDF is the preview)."""
    values = {"name": _name(language), "received": "2026年11月3日", "reference": REFERENCE,
              "department": "质量管理部" if language == "zh" else "Quality",
              "method": "换货" if language == "zh" else "Replacement", "amount": "50.00",
              "contact": "李娜", "phone": PHONE, "company": COMPANY}
    words = notice_words(language)
    phrases = [words[key].format(**values) for key in PHRASES]
    return [Sample(phrases[0], "\n\n".join(phrases[1:]), None)]


def _department_notice(language: str) -> list[Sample]:
    notice = render_department_notice(reference=REFERENCE, subject="水壶漏水",
                                      department_en="Quality", department_zh="质量管理部",
                                      by="li.na", link=LINK)
    return [Sample(notice.subject, notice.text, None)]


def _due_reminder(language: str) -> list[Sample]:
    notice = render_due_reminder(reference=REFERENCE, subject="水壶漏水", due_at=DUE,
                                 time_zone=ZONE, link=LINK)
    return [Sample(notice.subject, notice.text, None)]


def _escalation(language: str) -> list[Sample]:
    notice = render_escalation(reference=REFERENCE, subject="水壶漏水", due_at=DUE,
                               time_zone=ZONE, link=LINK)
    return [Sample(notice.subject, notice.text, None)]


def _password_reset(language: str) -> list[Sample]:
    notice = render_password_reset(username="li.na", link="https://complaints.example/reset/x",
                                   hours=24)
    return [Sample(notice.subject, notice.text, None)]


def _staff_reply(language: str) -> list[Sample]:
    text = ("您好，我们已安排上门检测，请保持电话畅通。\n谢谢！" if language == "zh"
            else "Hello, an engineer will call to test the kettle.\nThank you!")
    return [_mail(render_staff_reply(StaffReplyLetter(
        reference=REFERENCE, language=language, case_subject=subject, text=text,
        signed_by="李娜", company_name=COMPANY, service_phone=PHONE,
        attachments=files, post=post, status_url=STATUS_URL if post else "")))
        for subject, files, post in (("水壶漏水", ("photo.pdf",), False), ("", (), True))]


def _agreement_reminder(language: str) -> list[Sample]:
    return [_mail(render_agreement_reminder(AgreementReminder(
        reference=REFERENCE, language=language, customer_name=_name(language),
        notice_date=RECEIVED, closes_on=DUE, time_zone=ZONE, company_name=COMPANY,
        service_phone=PHONE, post=post, status_url=STATUS_URL)))
        for post in (False, True)]


def _notice_revision(language: str) -> list[Sample]:
    line = revision_line(language=language, number=2, previous_number=1,
                         previous_date="2026年11月20日" if language == "zh" else "20 November 2026")
    return [Sample(line, line, None)]


def _customer_wrote(language: str) -> list[Sample]:
    subject, text = render_customer_wrote(CustomerWroteNotice(
        reference=REFERENCE, subject="水壶漏水", link=LINK, status_en="With the department",
        status_zh="已分派部门", department_en="Quality", department_zh="质量管理部"))
    return [Sample(subject, text, None)]


def _staff_unrouted(language: str) -> list[Sample]:
    return [Sample(staff_subject("unrouted", reference=REFERENCE, subject="水壶漏水"),
                   staff_note("unrouted", by="li.na", reference=REFERENCE,
                              department_en="Quality", department_zh="质量管理部",
                              reason="这是物流问题。", link=LINK), None)]


def _staff_dispute_escalation(language: str) -> list[Sample]:
    return [Sample(staff_subject("dispute_escalation", reference=REFERENCE, subject="水壶漏水"),
                   staff_note("dispute_escalation", reference=REFERENCE, rounds=2,
                              words="我还是不同意。", link=LINK), None)]


FAMILIES: dict[str, Callable[[str], list[Sample]]] = {
    "acknowledgment": _acknowledgment, "deadline": _deadline, "not_ours": _not_ours,
    "survey": _survey, "neutral_ack": _neutral, "resolution_notice": _notice_mail,
    "postal_ack": _postal_ack, "notice_letter": _notice_letter,
    "department_notice": _department_notice, "due_reminder": _due_reminder,
    "escalation": _escalation, "password_reset": _password_reset,
    "staff_reply": _staff_reply, "agreement_reminder": _agreement_reminder,
    "notice_revision": _notice_revision, "customer_wrote": _customer_wrote,
    "staff_unrouted": _staff_unrouted, "staff_dispute_escalation": _staff_dispute_escalation,
}


def samples_for(name: str) -> list[Sample]:
    """The sample letters that use template ``name``, in its language."""
    language = language_of(name)
    render = FAMILIES.get(family_of(name), _acknowledgment)  # partials: the acknowledgment
    return render("zh" if language == "zh+en" else language)


def render_all() -> list[Sample]:
    """Every sample of every family in both languages (what a check renders)."""
    return [s for render in FAMILIES.values() for lang in ("zh", "en") for s in render(lang)]


def check_template(name: str, body: str) -> None:
    """Refuse a template that is not valid Jinja or does not render with sample values.

    Raises :class:`TemplateCheckError` with the line and the reason.
    """
    if name not in template_names():
        raise TemplateCheckError(f"No template is called '{name}'. / 没有名为“{name}”的模板。")
    if not body.strip():
        raise TemplateCheckError("The template is empty. / 模板内容为空。")
    try:
        environment().parse(body)
    except TemplateSyntaxError as err:
        raise TemplateCheckError(
            f"Line {err.lineno}: {err.message} / 第 {err.lineno} 行：模板语法错误。") from err
    try:
        with trial(name, body):
            render_all()
            subjects = [s.subject for s in samples_for(name)]
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError,
            AttributeError) as err:
        raise TemplateCheckError(
            f"It does not render with sample values: {type(err).__name__}: {err} "
            f"/ 用示例数据无法生成信件。") from err
    if kind_of(name) == "mail-subject" and family_of(name) not in UNNAMED and any(
            f"[{REFERENCE}]" not in subject for subject in subjects):
        raise TemplateCheckError(
            "The subject must keep the case reference as [{{ reference }}]: replies are filed"
            " by it. / 主题须保留案件编号 [{{ reference }}]，客户回复靠它归档。")
