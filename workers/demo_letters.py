"""Demo scanned letters: drawn at demo time with the CJK font, so the repo ships no images.

The font is the one letters use (:func:`letters.pdf.fonts.find_font_files`): a system
font, or the Noto Sans SC that comes with the Python dependencies.

Two letters, as a mailroom scanner would drop them into the scan folder: a Chinese
letter with a postal address and no e-mail (acknowledged by a printed letter) and an
English one that gives an e-mail address (acknowledged by e-mail).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from config.settings import Settings
from letters.pdf.fonts import FontSource, find_font_files, system_fonts

ZH_LETTER = (
    "尊敬的客户服务部：\n"
    "您好！我于2026年11月2日在贵公司网店购买了一台电饭煲，\n"
    "订单号 JD-20261102555，货款 ¥899.00 元。\n"
    "使用三天后内胆涂层大面积脱落，无法继续使用。\n"
    "我要求退货并退款，请尽快处理。\n"
    "我的电话：138 0013 8000\n"
    "地址：浙江省杭州市西湖区文三路 88 号 3 单元 502 室\n"
    "此致\n"
    "敬礼\n"
    "王建国\n"
    "2026年11月20日\n"
)
EN_LETTER = (
    "15 November 2026\n"
    "Dear Sir or Madam,\n"
    "I bought a kettle from your shop, order AB-55512345, for RMB 320.\n"
    "It stopped working after two days and the handle is cracked.\n"
    "I would like a replacement as soon as possible.\n"
    "Please write to me at mary.jones@customer.example.\n"
    "Yours faithfully,\n"
    "Mary Jones\n"
    "12 Garden Road, Flat 4\n"
    "Hong Kong\n"
)


def render_letter(text: str, font_path: Path) -> Image.Image:
    """An A4 page at 150 dpi with the text, slightly skewed and soft like a real scan."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(font_path), 34, index=0)
    for row, line in enumerate(text.split("\n")):
        draw.text((140, 150 + row * 61), line, fill=0, font=font)
    return page.rotate(0.6, fillcolor=255).filter(ImageFilter.GaussianBlur(0.5))


def demo_scans(font_path: Path) -> dict[str, bytes]:
    """File name -> bytes: an image-only PDF and a JPEG."""
    pdf, jpeg = io.BytesIO(), io.BytesIO()
    render_letter(ZH_LETTER, font_path).convert("RGB").save(pdf, "PDF", resolution=150)
    render_letter(EN_LETTER, font_path).convert("RGB").save(jpeg, "JPEG", quality=70)
    return {"scan-0001-wang.pdf": pdf.getvalue(), "scan-0002-jones.jpg": jpeg.getvalue()}


def seed_scans(folder: Path, font_path: Path) -> list[Path]:
    """Drop the demo scans into the scan folder: write under a temporary name, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, payload in demo_scans(font_path).items():
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(payload)
        os.replace(tmp, folder / name)
        written.append(folder / name)
    return written


def seed_demo_scans(settings: Settings, say: Callable[[str], None]) -> None:
    """Seed the scans when a CJK font is there; otherwise say what is missing and go on.

    A missing font is an optional part for the demo: mail cases and acknowledgments
    still run, so the demo reports it instead of stopping.
    """
    missing = _missing_ocr()
    if missing:
        say(f"Missing: {missing}. The demo runs without its scanned letters.")
        return
    source = FontSource.from_settings(settings)
    if not _system_or_cached(source):
        say("Preparing the Chinese letter font once (Noto Sans SC, about a minute)...")
    try:
        files = find_font_files(source, bold=False)  # Bold waits for the first letter
    except (OSError, ImportError, ValueError) as exc:
        say(f"Could not prepare a Chinese font ({exc}).")
        files = None
    if files is None:
        say("Missing: a Chinese TrueType font (pip install justmytype-intl-cjk, or install"
            " fonts-wqy-zenhei). The demo runs without its scanned letters.")
        return
    scans = seed_scans(settings.scans_dir, files.regular)
    say(f"Seeded {len(scans)} scanned letters into {settings.scans_dir}/"
        f" (font: {files.regular.name}, {files.origin})")


def _missing_ocr() -> str:
    """What reading scans needs and this machine lacks ("" when nothing is missing)."""
    import importlib.util

    for module, package in (("rapidocr", "rapidocr"), ("onnxruntime", "onnxruntime"),
                            ("pypdfium2", "pypdfium2")):
        if importlib.util.find_spec(module) is None:
            return f"the OCR package {package} (pip install {package})"
    return ""


def _system_or_cached(source: FontSource) -> bool:
    """Whether finding the font is quick: configured, on the system, or already instanced."""
    if source.configured_path and Path(source.configured_path).is_file():
        return True
    cached = source.cache_dir.glob("*.ttf") if source.cache_dir.is_dir() else iter(())
    return bool(system_fonts(source.search_path)) or any(cached)
