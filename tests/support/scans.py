"""Scanned letters made on the spot: text rendered with a CJK font, then degraded like a scan.

Each letter comes with the values a clerk would type from it (the truth), so tests and
the benchmark can measure what OCR and extraction get right. Nothing is shipped: the
pages are drawn at run time from these texts.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from letters.pdf.fonts import find_font_files
from tests.support.fonts import fonts_for_tests

A4_150DPI = (1240, 1754)


@dataclass(frozen=True)
class LetterTruth:
    """A letter's text and the field values extraction should find in it."""

    key: str
    language: str
    text: str
    name: str
    phone: str  # E.164
    address: str = ""
    email: str = ""
    date: str = ""  # ISO
    orders: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    demands: tuple[str, ...] = field(default_factory=tuple)


ZH_NO_EMAIL = LetterTruth(
    key="zh-post",
    language="zh",
    text=(
        "尊敬的客户服务部：\n"
        "您好！我于2026年11月2日在贵公司网店购买了一台电饭煲，\n"
        "订单号 JD-20261102555，货款 ¥899.00 元。\n"
        "使用三天后内胆涂层大面积脱落，无法继续使用。\n"
        "我要求退货并退款，请尽快处理。\n"
        "我的电话：138 0013\n"
        "8000\n"
        "地址：浙江省杭州市西湖区文三路 88 号 3 单元 502 室\n"
        "此致\n"
        "敬礼\n"
        "王建国\n"
        "2026年11月20日\n"
    ),
    name="王建国",
    phone="+8613800138000",
    address="浙江省杭州市西湖区文三路88号3单元502室",
    date="2026-11-20",
    orders=("JD-20261102555",),
    amounts=("899.00",),
    demands=("return", "refund"),
)

EN_WITH_EMAIL = LetterTruth(
    key="en-email",
    language="en",
    text=(
        "15 November 2026\n"
        "Dear Sir or Madam,\n"
        "I bought a kettle from your shop, order AB-55512345, for RMB 320.\n"
        "It stopped working after two days and the handle is cracked.\n"
        "I would like a replacement as soon as possible.\n"
        "You can call me on 139 1234 5678 or write to\n"
        "mary.jones@customer.example.\n"
        "Yours faithfully,\n"
        "Mary Jones\n"
        "12 Garden Road, Flat 4\n"
        "Hong Kong\n"
    ),
    name="Mary Jones",
    phone="+8613912345678",
    address="12 Garden Road, Flat 4, Hong Kong",
    email="mary.jones@customer.example",
    date="2026-11-15",
    orders=("AB-55512345",),
    amounts=("320",),
    demands=("replacement",),
)

ZH_WITH_EMAIL = LetterTruth(
    key="zh-email",
    language="zh",
    text=(
        "您好：\n"
        "我是李秀英，2026-11-18 收到的洗衣机（订单号 JD-20261115777）外壳破损，\n"
        "送货员不让开箱检查。希望贵公司给予赔偿 200 元或者换货。\n"
        "联系电话 13712345678，邮箱 lixiuying@customer.example\n"
        "地址：广东省广州市天河区体育西路 101 号\n"
        "李秀英\n"
        "2026年11月21日\n"
    ),
    name="李秀英",
    phone="+8613712345678",
    address="广东省广州市天河区体育西路101号",
    email="lixiuying@customer.example",
    date="2026-11-21",
    orders=("JD-20261115777",),
    amounts=("200",),
    demands=("compensation", "replacement"),
)

EN_NO_EMAIL = LetterTruth(
    key="en-post",
    language="en",
    text=(
        "Dear Customer Service,\n"
        "My name is Peter Wong. On 2026-11-10 I received order XY-77788899,\n"
        "a vacuum cleaner for RMB 1,299.00, with a broken motor.\n"
        "I ask for a refund. My phone number is +86 186 0000\n"
        "1234.\n"
        "Sincerely,\n"
        "Peter Wong\n"
        "25 Nathan Road, Kowloon\n"
        "Hong Kong\n"
    ),
    name="Peter Wong",
    phone="+8618600001234",
    address="25 Nathan Road, Kowloon, Hong Kong",
    orders=("XY-77788899",),
    amounts=("1299.00",),
    demands=("refund",),
)

LETTERS = (ZH_NO_EMAIL, EN_WITH_EMAIL, ZH_WITH_EMAIL, EN_NO_EMAIL)


def font_path() -> str:
    """The CJK TrueType font the PDF letters use (a system one, or the packaged Noto Sans SC)."""
    files = find_font_files(fonts_for_tests())
    if files is None:
        raise RuntimeError("No CJK TrueType font: pip install justmytype-intl-cjk")
    return str(files.regular)


def render_page(text: str, *, size: tuple[int, int] = A4_150DPI, font_px: int = 34) -> Image.Image:
    """Draw the text on a white page, left-aligned with margins, as a printed letter."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(font_path(), font_px, index=0)
    y = 150
    for line in text.split("\n"):
        draw.text((140, y), line, fill=0, font=font)
        y += int(font_px * 1.8)
    return page


def degrade(
    page: Image.Image, *, angle: float = 0.8, blur: float = 0.6, noise: int = 12, seed: int = 7
) -> Image.Image:
    """A mildly bad scan: a slight skew, blur, speckle noise (JPEG artefacts come on save)."""
    rng = random.Random(seed)
    out = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        pixels = out.load()
        assert pixels is not None
        width, height = out.size
        for _ in range(width * height // 200):
            x, y = rng.randrange(width), rng.randrange(height)
            value = pixels[x, y]
            assert isinstance(value, int)
            pixels[x, y] = max(0, min(255, value + rng.randint(-noise * 8, noise * 8)))
    return out


def to_jpeg(page: Image.Image, quality: int = 60) -> bytes:
    buffer = io.BytesIO()
    page.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def to_png(page: Image.Image) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    return buffer.getvalue()


def to_image_pdf(pages: list[Image.Image], dpi: int = 150) -> bytes:
    """An image-only PDF (no text layer), as a scanner makes."""
    buffer = io.BytesIO()
    rgb = [p.convert("RGB") for p in pages]
    rgb[0].save(buffer, "PDF", resolution=dpi, save_all=True, append_images=rgb[1:])
    return buffer.getvalue()


def scanned_jpeg(letter: LetterTruth, **degrade_args: float) -> bytes:
    return to_jpeg(degrade(render_page(letter.text), **degrade_args))  # type: ignore[arg-type]


def product_photo(seed: int = 3, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo of a cracked bowl on a table: shapes and shading, no writing at all."""
    rng = random.Random(seed)
    width, height = size
    photo = Image.new("RGB", size, (182, 150, 112))
    draw = ImageDraw.Draw(photo)
    for y in range(0, height, 4):  # a wooden table: soft horizontal grain
        shade = 150 + int(20 * ((y * 7919 + seed) % 97) / 97)
        draw.rectangle((0, y, width, y + 3), fill=(shade + 30, shade, shade - 40))
    box = (width // 4, height // 4, 3 * width // 4, 3 * height // 4)
    draw.ellipse(box, fill=(236, 236, 228), outline=(120, 120, 130), width=12)
    inner = (box[0] + 80, box[1] + 60, box[2] - 80, box[3] - 60)
    draw.ellipse(inner, fill=(214, 214, 205))
    x, y = width // 2, box[1] + 10
    for _ in range(12):  # the crack
        nx, ny = x + rng.randint(-40, 40), y + rng.randint(20, 45)
        draw.line((x, y, nx, ny), fill=(60, 55, 50), width=5)
        x, y = nx, ny
    return to_jpeg(photo.filter(ImageFilter.GaussianBlur(1.5)), quality=85)


def chat_screenshot() -> bytes:
    """A phone screenshot of a chat with customer service: writing, but not a letter."""
    text = (
        "Customer service 14:02\n"
        "Your order will arrive tomorrow.\n"
        "Me 14:05\n"
        "It is already a week late!\n"
        "Customer service 14:06\n"
        "Sorry, we will check with the courier."
    )
    return to_png(render_page(text, size=(900, 1600), font_px=40))


# Letters whose order number and phone number break across lines, as OCR of a narrow
# column or a hand-wrapped letter gives them.
ZH_BROKEN_LINES = LetterTruth(
    key="zh-broken",
    language="zh",
    text=(
        "尊敬的客服：\n"
        "我在贵公司网店买的微波炉（订单号 HW20261\n"
        "008114）收到时门已经变形，无法关闭。\n"
        "请给我换一台新的。联系电话 139 1234\n"
        "5678\n"
        "地址：江苏省南京市鼓楼区中山路 18 号\n"
        "赵敏\n"
        "2026年11月25日\n"
    ),
    name="赵敏",
    phone="+8613912345678",
    address="江苏省南京市鼓楼区中山路18号",
    date="2026-11-25",
    orders=("HW20261008114",),
    demands=("replacement",),
)

EN_UK_BROKEN_LINES = LetterTruth(
    key="en-uk",
    language="en",
    text=(
        "28 November 2026\n"
        "Dear Sir or Madam,\n"
        "The blender I ordered, order number HW20261\n"
        "008115, arrived with a cracked jug.\n"
        "I would like a refund. Please call me on 07700\n"
        "900461.\n"
        "Yours faithfully,\n"
        "James Carter\n"
        "14 Oxford Road\n"
        "Manchester M1 5QA\n"
    ),
    name="James Carter",
    phone="+447700900461",
    address="14 Oxford Road, Manchester M1 5QA",
    date="2026-11-28",
    orders=("HW20261008115",),
    demands=("refund",),
)

BROKEN_LINE_LETTERS = (ZH_BROKEN_LINES, EN_UK_BROKEN_LINES)
