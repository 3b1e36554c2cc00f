"""Opening scanned images safely: size limits first, pixels only after.

Pillow reads the header lazily, so we check the pixel count before decoding: a
decompression bomb (a small PNG that inflates to gigabytes) is refused unread. Every
frame of a multi-page TIFF is checked the same way before it is decoded (the first
frame can be a harmless page and the second a 9000×9000 bomb), and Pillow's own limit
is set to ours, so its bomb errors, from any frame, become an :class:`Unreadable`
reason (quarantine), never an exception that makes the job retry. A 0-byte or
truncated file gets a plain reason instead of a stack trace.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, UnidentifiedImageError

from pipeline.documents.reasons import Unreadable, both

# An A4 page at 600 dpi is ~35 Mpx; anything far above is not a letter scan.
MAX_PIXELS = 60_000_000
# Pages are OCR'd at most this large (long side); more costs time, not accuracy.
MAX_SIDE = 2400
# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; we refuse at the
# warning (turned into an error below), so Pillow's limit is ours.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
IMAGE_TYPES = ("image/jpeg", "image/png", "image/tiff", "image/bmp", "image/webp", "image/gif")


def open_image(payload: bytes, *, name: str = "") -> Image.Image:
    """Open and verify an image's header; raise :class:`Unreadable` with a reason."""
    label = name or "the image"
    if not payload:
        raise Unreadable(both(f"{label} is empty (0 bytes).", f"{label} 是空文件（0 字节）。"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(payload))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise Unreadable(_bomb(label)) from err
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise Unreadable(
            both(f"{label} is not a readable image.", f"{label} 不是可读取的图片。")
        ) from err
    _check_pixels(image, label)
    return image


def _check_pixels(image: Image.Image, label: str) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise Unreadable(_bomb(label))


def _bomb(label: str) -> str:
    return both(
        f"{label} is far too large in pixels to be a scanned page (possible decompression bomb).",
        f"{label} 像素尺寸过大，不可能是扫描页（可能是解压炸弹文件）。",
    )


def image_pages(payload: bytes, *, name: str = "", max_pages: int = 50) -> Iterator[Image.Image]:
    """Every frame of an image (multi-page TIFF), decoded, grey, at most ``MAX_SIDE``."""
    image = open_image(payload, name=name)
    frames = getattr(image, "n_frames", 1)
    if frames > max_pages:
        raise Unreadable(
            both(
                f"{name or 'The image'} has {frames} pages; at most {max_pages} are read.",
                f"{name or '图片'} 共 {frames} 页，最多只能读取 {max_pages} 页。",
            )
        )
    label = name or "the image"
    for index in range(frames):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.seek(index)
                _check_pixels(image, f"{label} (page {index + 1})")
                page = decoded(image, name=name)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise Unreadable(_bomb(f"{label} (page {index + 1})")) from err
        except EOFError as err:
            raise Unreadable(both(f"{label} is cut short after page {index}.",
                                  f"{label} 在第 {index} 页后不完整。")) from err
        yield page


def decoded(image: Image.Image, *, name: str = "") -> Image.Image:
    """Decode the pixels (a truncated file fails here), as grey, scaled to ``MAX_SIDE``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            grey = image.convert("L")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise Unreadable(_bomb(name or "The image")) from err
    except (OSError, ValueError, SyntaxError) as err:
        raise Unreadable(
            both(
                f"{name or 'The image'} is damaged or cut short and cannot be read.",
                f"{name or '图片'} 已损坏或不完整，无法读取。",
            )
        ) from err
    return bounded(grey)


def bounded(image: Image.Image) -> Image.Image:
    """Shrink a page whose long side exceeds ``MAX_SIDE``; small pages stay as they are."""
    long_side = max(image.size)
    if long_side <= MAX_SIDE:
        return image
    scale = MAX_SIDE / long_side
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)
