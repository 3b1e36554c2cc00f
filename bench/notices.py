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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from letters.pdf.fonts import letter_font  # noqa: E402
from letters.pdf.resolution_notice import render_resolution_notice  # noqa: E402
from letters.pdf.samples import SAMPLE_NOTICE_EN, SAMPLE_NOTICE_ZH  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=500)
    args = parser.parse_args()
    font = letter_font()
    render_resolution_notice(SAMPLE_NOTICE_ZH, font=font.name)  # warm up: font parsing, imports
    sizes = []
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(args.notices):
        notice = SAMPLE_NOTICE_ZH if number % 2 == 0 else SAMPLE_NOTICE_EN
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
