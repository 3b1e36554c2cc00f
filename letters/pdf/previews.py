"""Every PDF we print, rendered with sample values for ``complaints letters preview``.

One entry per kind: the letters that go by post (acknowledgment, deadline, moved
deadline, not ours, survey), the written-resolution notice, the processing form and
the statistics report. The samples carry long Chinese sentences full of punctuation,
so a preview (and the line-breaking test that renders each one) shows how real text
wraps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from letters.acknowledgment import RenderedMail
from letters.deadline import DeadlineLetter, render_deadline
from letters.disputes import AgreementReminder, render_agreement_reminder, revision_line
from letters.not_ours import NotOursLetter, render_not_ours
from letters.pdf.fonts import FontSource, letter_font
from letters.pdf.kinds import KINDS
from letters.pdf.layout import Sender
from letters.pdf.letter import render_letters, text_letter
from letters.pdf.processing_form import ProcessingFormData, render_processing_form
from letters.pdf.resolution_notice import render_resolution_notice
from letters.pdf.samples import SAMPLE_NOTICE_EN, SAMPLE_NOTICE_ZH
from letters.pdf.statistics_report import ReportContent, render_report
from letters.survey import SurveyLetter, render_survey

COMPANY = "Example Co. 示例公司"
PHONE = "400-000-0000"
TIME_ZONE = "Asia/Shanghai"
SENDER = Sender(company=COMPANY, department="", phone=PHONE, email="",
                address="上海市浦东新区世纪大道1号 / 1 Century Avenue, Shanghai")
DEADLINE = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ZH_STORY = ("水壶用了三天就漏水，底座也发烫。我打了三次客服电话（每次都等了二十多分钟），"
            "都说会有人回电，但是一直没有消息！请尽快处理：换货或者退款都可以；"
            "如果再拖，我只能向消费者协会投诉了。")
EN_STORY = ("The kettle leaked after three days and the base gets hot. I called your service "
            "line three times (waiting twenty minutes each time); nobody called back.")


@dataclass(frozen=True)
class Preview:
    """A kind of PDF and how to render it with sample values in a language."""

    name: str
    description: str
    render: Callable[[str, FontSource | str], bytes]  # (language, fonts) -> PDF


def _name(language: str) -> str:
    return "王建国" if language == "zh" else "Mary Jones"


def _posted(language: str, rendered: RenderedMail, fonts: FontSource | str) -> bytes:
    address = ("浙江省杭州市西湖区文三路88号3单元502室" if language == "zh"
               else "12 Garden Road, Flat 4, Hong Kong")
    letter = text_letter(language=language, sender=SENDER, recipient=(_name(language), address),
                         reference="CP-2026-000123", date="2026-11-20",
                         subject=rendered.subject, text=rendered.text)
    return render_letters([letter], fonts=fonts)


def _deadline_letter(language: str, *, changed: bool) -> DeadlineLetter:
    return DeadlineLetter(
        reference="CP-2026-000123", language=language, customer_name=_name(language),
        department_name="质量管理部（售后服务组）" if language == "zh" else "Quality",
        contact_name="李娜", deadline=DEADLINE, time_zone=TIME_ZONE, company_name=COMPANY,
        service_phone=PHONE, third_party="顺丰速运（杭州分公司）" if language == "zh" else "",
        changed=changed, previous_deadline=datetime(2026, 11, 27, tzinfo=UTC) if changed else None,
        reason=("检测机构要求补充送检样品，结果预计下周出具；我们已催促对方，请您谅解。"
                if language == "zh" else "The test lab needs a second sample; results are due "
                "next week."),
        post=True)


def _acknowledgment(language: str, fonts: FontSource | str) -> bytes:
    return render_letters([KINDS["acknowledgment"].sample(language)], fonts=fonts)


def _deadline(language: str, fonts: FontSource | str) -> bytes:
    return _posted(language, render_deadline(_deadline_letter(language, changed=False)), fonts)


def _moved_deadline(language: str, fonts: FontSource | str) -> bytes:
    return _posted(language, render_deadline(_deadline_letter(language, changed=True)), fonts)


def _not_ours(language: str, fonts: FontSource | str) -> bytes:
    explanation = (
        "经核实，您购买的水壶来自第三方店铺（“好家电旗舰店”），并非我公司销售；"
        "该店铺的客服电话是 400-123-4567。我们已把您的情况转告对方，请您直接与其联系，"
        "如对方未在三天内答复，请再联系我们（我们会协助您处理）。"
        if language == "zh" else
        "The kettle was sold by a third-party shop (\"Good Appliances\"), not by us; their "
        "service line is 400-123-4567. We have passed your complaint on to them.")
    letter = NotOursLetter(reference="CP-2026-000123", language=language,
                           customer_name=_name(language), explanation=explanation,
                           company_name=COMPANY, service_phone=PHONE, post=True)
    return _posted(language, render_not_ours(letter), fonts)


def _survey(language: str, fonts: FontSource | str) -> bytes:
    links = {score: f"https://complaints.example/s/CP-2026-000123/{score}" for score in range(1, 6)}
    letter = SurveyLetter(reference="CP-2026-000123", language=language,
                          customer_name=_name(language), closed_at=DEADLINE, time_zone=TIME_ZONE,
                          links=links, company_name=COMPANY)
    return _posted(language, render_survey(letter), fonts)


def _resolution_notice(language: str, fonts: FontSource | str) -> bytes:
    notice = SAMPLE_NOTICE_ZH if language == "zh" else SAMPLE_NOTICE_EN
    if language == "zh":
        notice = replace(notice, findings=notice.findings + ZH_STORY)
    return render_resolution_notice(notice, font=letter_font(fonts).name)


def _revised_notice(language: str, fonts: FontSource | str) -> bytes:
    notice = SAMPLE_NOTICE_ZH if language == "zh" else SAMPLE_NOTICE_EN
    revises = revision_line(language=language, number=2, previous_number=1,
                            previous_date="2026年11月24日" if language == "zh"
                            else "24 November 2026")
    return render_resolution_notice(replace(notice, revises=revises),
                                    font=letter_font(fonts).name)


def _agreement_reminder(language: str, fonts: FontSource | str) -> bytes:
    letter = AgreementReminder(
        reference="CP-2026-000123", language=language, customer_name=_name(language),
        notice_date=DEADLINE, closes_on=DEADLINE + timedelta(days=14), time_zone=TIME_ZONE,
        company_name=COMPANY, service_phone=PHONE, post=True)
    return _posted(language, render_agreement_reminder(letter), fonts)


def _processing_form(language: str, fonts: FontSource | str) -> bytes:
    form = ProcessingFormData(
        reference="CP-2026-000123", received_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
        channel="email", language=language, customer_name=_name(language),
        customer_phone="+8613800138000", customer_email="customer@example.com",
        customer_address="浙江省杭州市西湖区文三路88号3单元502室",
        subject="电水壶漏水（订单 JD-20261102555）" if language == "zh" else "Leaking kettle",
        what_happened=ZH_STORY if language == "zh" else EN_STORY,
        demands=("换货", "退款") if language == "zh" else ("replacement",),
        order_numbers=("JD-20261102555",), responsibility="ours",
        department_name="质量管理部", routed_by="li.na", routed_at=DEADLINE,
        receiving_staff_opinion="客户情绪激动，已电话安抚，承诺三日内答复。",
        department_opinion="同意换货，并补偿运费五十元（由仓储部承担）。",
        handling_date=date(2026, 11, 24))
    return render_processing_form(form, fonts=fonts)


def _statistics_report(language: str, fonts: FontSource | str) -> bytes:
    headers = ["编号 Ref", "受理日期 Received", "部门 Department", "问题 Subject", "产品 Product",
               "状态 Status", "天数 Days", "结果 Outcome", "满意 Score"]
    rows = [[f"CP-2026-{n:06d}", "2026-11-20", "质量管理部", ZH_STORY[: 20 + n * 7],
             "电水壶（1.7升）", "已结案", n, "换货，补偿运费。", 5 - n % 3] for n in range(1, 9)]
    content = ReportContent(
        title="2026年11月 客户投诉统计报告 Complaint statistics, November 2026",
        company=COMPANY,
        summary=[("投诉总数（件）Complaints", "128"), ("按时答复率（%）Answered on time", "96.1")],
        weekly={"2026-W45": {"质量管理部": 12, "物流部": 5}, "2026-W46": {"质量管理部": 9}},
        close_times={"0–2": 40, "3–7": 60, "8+": 28},
        top_products={"电水壶": 31, "电饭煲": 22},
        recurring=[("product", "电水壶", 31, ["CP-2026-000101", "CP-2026-000102"],
                    "密封圈装配错误（供应商：某某橡胶厂），已更换供应商；下批次起复查。")],
        headers=headers, rows=rows, more_rows=0)
    return render_report(content, font=letter_font(fonts).name)


PREVIEWS: dict[str, Preview] = {p.name: p for p in (
    Preview("acknowledgment", "We received your letter; please give us a phone number.",
            _acknowledgment),
    Preview("deadline", "Who handles the complaint and by when we answer.", _deadline),
    Preview("moved-deadline", "The date for our answer moved, and why.", _moved_deadline),
    Preview("not-ours", "Why this is not ours to resolve, and who can help.", _not_ours),
    Preview("resolution-notice", "The written resolution, point by point.", _resolution_notice),
    Preview("revised-notice", "A revised written resolution, naming the notice it replaces.",
            _revised_notice),
    Preview("agreement-reminder", "No answer to our notice yet: the day we will close.",
            _agreement_reminder),
    Preview("processing-form", "客户投诉处理单: the internal processing form.", _processing_form),
    Preview("survey", "How did we handle your complaint? (after closing)", _survey),
    Preview("statistics-report", "The monthly statistics report.", _statistics_report),
)}
