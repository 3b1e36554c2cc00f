"""Sample written-resolution notices, in Chinese and English.

One realistic notice per language (two raised points, findings, compensation, next
steps) shared by the notice benchmark and the tests, so both measure and check the
same letter.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from letters.pdf.layout import Sender
from letters.pdf.resolution_notice import ResolutionNotice

SAMPLE_SENDER = Sender(company="示例公司", department="客户服务部 Customer Service",
                       address="上海市示例路1号", phone="400-000-0000", email="cs@shop.example")

SAMPLE_NOTICE_ZH = ResolutionNotice(
    reference="CP-2026-000123", language="zh", customer_name="王小明",
    recipient_lines=["王小明", "上海市浦东新区世纪大道100号", "200120"],
    received="2026年11月3日", issued="2026年11月20日", department_name="质量管理部",
    answers=[("电水壶用了三天就漏水，要求换货", "我们将为您免费更换一台新水壶，本周内发出。"),
             ("为什么质检没有发现这个问题？", "该批次密封圈装配有误，我们已加强出厂检测。")],
    findings="经检测，漏水由密封圈装配错误引起，属于生产质量问题。",
    method="replacement", compensation_amount=Decimal("50.00"),
    next_steps="快递员将于11月22日上门取回旧水壶。", contact_person="李娜", sender=SAMPLE_SENDER,
)

SAMPLE_NOTICE_EN = replace(
    SAMPLE_NOTICE_ZH, language="en", customer_name="Jane Smith",
    recipient_lines=["Jane Smith", "10 Downing Street", "London SW1A 2AA"],
    received="3 November 2026", issued="20 November 2026", department_name="Quality",
    answers=[("The kettle leaks after three days", "We will send you a new kettle this week."),
             ("Why did quality control miss it?", "A seal was fitted wrongly in one batch.")],
    findings="The leak comes from a wrongly fitted seal.", next_steps="A courier collects it.",
)
