"""Benchmark: written-resolution notices rendered per second in one process.

Each notice is a real one-page letter (letterhead, window address block, two points
answered, findings, decision) with the CJK TrueType font embedded, alternating
Chinese and English, rendered by reportlab exactly as the workers do.

    .venv/bin/python bench/notices.py --notices 500
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from letters.pdf.fonts import letter_font  # noqa: E402
from letters.pdf.layout import Sender  # noqa: E402
from letters.pdf.resolution_notice import ResolutionNotice, render_resolution_notice  # noqa: E402

SENDER = Sender(company="示例公司 Example Co.", department="客户服务部 Customer Service",
                address="上海市示例路1号", phone="400-000-0000", email="cs@shop.example")
CHINESE = ResolutionNotice(
    reference="CP-2026-000123", language="zh", customer_name="王小明",
    recipient_lines=["王小明", "上海市浦东新区世纪大道100号", "200120"],
    received="2026年11月3日", issued="2026年11月20日", department_name="质量管理部",
    answers=[("电水壶用了三天就漏水，要求换货", "我们将为您免费更换一台新水壶，本周内发出。"),
             ("为什么质检没有发现这个问题？", "该批次密封圈装配有误，我们已加强出厂检测。")],
    findings="经检测，漏水由密封圈装配错误引起，属于生产质量问题。",
    method="replacement", compensation_amount=Decimal("50.00"),
    next_steps="快递员将于11月22日上门取回旧水壶。", contact_person="李娜", sender=SENDER,
)
ENGLISH = replace(
    CHINESE, language="en", customer_name="Jane Smith",
    recipient_lines=["Jane Smith", "10 Downing Street", "London SW1A 2AA"],
    received="3 November 2026", issued="20 November 2026", department_name="Quality",
    answers=[("The kettle leaks after three days", "We will send you a new kettle this week."),
             ("Why did quality control miss it?", "A seal was fitted wrongly in one batch.")],
    findings="The leak comes from a wrongly fitted seal.", next_steps="A courier collects it.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=500)
    args = parser.parse_args()
    font = letter_font()
    render_resolution_notice(CHINESE, font=font.name)  # warm up: font parsing, imports
    sizes = []
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(args.notices):
        notice = CHINESE if number % 2 == 0 else ENGLISH
        sizes.append(len(render_resolution_notice(
            replace(notice, reference=f"CP-2026-{number:06d}"), font=font.name)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"font: {font.path or font.name} (embedded: {font.embedded})")
    print(f"notices: {args.notices} (half Chinese, half English), one page each, "
          f"mean size {sum(sizes) / len(sizes) / 1024:.0f} KiB")
    print(f"notices/s in one process: {args.notices / elapsed:.1f} "
          f"(CPU {cpu / args.notices * 1000:.1f} ms per notice)")


if __name__ == "__main__":
    main()
