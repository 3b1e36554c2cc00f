"""The complaint processing form (客户投诉处理单) as a PDF.

It travels with a routed case to the department and, at closure, records the opinions
of the receiving staff, the department manager and the customer, as the paper form did.
Labels are bilingual because the same sheet is read by Chinese- and English-speaking
staff; values are the customer's own words and are escaped before they reach a
reportlab ``Paragraph`` (its mini-markup would otherwise read ``<b`` or ``&`` as tags).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from letters.channels import channel_name
from letters.pdf.fonts import FontSource, letter_font
from letters.pdf.linebreak import KinsokuParagraph

RESPONSIBILITY = {
    "ours": "我方责任 Ours",
    "not_ours": "非我方责任 Not ours",
    "third_party": "第三方责任 Third party",
    "": "待定 Not decided",
}


@dataclass(frozen=True)
class ProcessingFormData:
    """What the form shows; plain values so any caller (console, CLI, tests) can fill it."""

    reference: str
    received_at: datetime
    channel: str
    language: str
    customer_name: str
    customer_phone: str
    customer_email: str
    customer_address: str
    subject: str
    what_happened: str
    demands: Sequence[str]
    order_numbers: Sequence[str]
    responsibility: str
    department_name: str
    routed_by: str
    routed_at: datetime | None
    receiving_staff_opinion: str = ""
    department_opinion: str = ""
    customer_opinion: str = ""
    result: str = ""
    handling_date: date | None = None


def _text(value: str) -> str:
    """Customer text made safe for a Paragraph, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


def _day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _styles(font: str) -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    label = ParagraphStyle("label", parent=body, fontSize=8.5, textColor=colors.HexColor("#333333"))
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1)
    return body, label, title


def _rows(data: ProcessingFormData, body: ParagraphStyle, label: ParagraphStyle) -> list[list]:
    def cell(text: str) -> KinsokuParagraph:
        return KinsokuParagraph(_text(text), body)

    def name(text: str) -> KinsokuParagraph:
        return KinsokuParagraph(escape(text), label)

    return [
        [name("处理单编号 Form number"), cell(data.reference),
         name("受理日期 Received"), cell(_day(data.received_at))],
        [name("客户姓名 Customer"), cell(data.customer_name),
         name("联系电话 Phone"), cell(data.customer_phone)],
        [name("电子邮箱 Email"), cell(data.customer_email),
         name("投诉方式 Channel"), cell(channel_name(data.channel))],
        [name("地址 Address"), cell(data.customer_address), "", ""],
        [name("订单号 Orders"), cell(", ".join(data.order_numbers)), "", ""],
        [name("主题 Subject"), cell(data.subject), "", ""],
        [name("投诉内容 Complaint"), cell(data.what_happened), "", ""],
        [name("客户要求 Demands"), cell("、".join(data.demands)), "", ""],
        [name("责任判定 Responsibility"),
         cell(RESPONSIBILITY.get(data.responsibility, data.responsibility)),
         name("处理部门 Department"), cell(data.department_name)],
        [name("分派人 Routed by"), cell(data.routed_by),
         name("处理日期 Handling date"), cell(_day(data.handling_date or data.routed_at))],
        [name("投诉处理结果 Result"), cell(data.result), "", ""],
        [name("受理人员意见 Receiving staff"), cell(data.receiving_staff_opinion), "", ""],
        [name("部门经理意见 Department manager"), cell(data.department_opinion), "", ""],
        [name("客户意见 Customer"), cell(data.customer_opinion), "", ""],
    ]


WIDE_ROWS = (3, 4, 5, 6, 7, 10, 11, 12, 13)
"""Rows whose value spans the three right-hand columns."""


def render_processing_form(data: ProcessingFormData, *, fonts: FontSource | str = "") -> bytes:
    """Draw the form on A4 and return the PDF bytes."""
    font = letter_font(fonts).name
    body, label, title = _styles(font)
    table = Table(
        _rows(data, body, label),
        colWidths=[38 * mm, 52 * mm, 34 * mm, 52 * mm],
        splitInRow=1,  # a long complaint flows onto the next page instead of failing
        repeatRows=0,
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                *[("SPAN", (1, row), (3, row)) for row in WIDE_ROWS],
                *[("BOTTOMPADDING", (1, row), (1, row), 30) for row in (10, 11, 12, 13)],
            ]
        ),
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=17 * mm, rightMargin=17 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"客户投诉处理单 {data.reference}", author="Customer Service",
    )
    doc.build([KinsokuParagraph("客户投诉处理单<br/>Complaint processing form", title),
               Spacer(1, 6 * mm), table])
    return buffer.getvalue()
