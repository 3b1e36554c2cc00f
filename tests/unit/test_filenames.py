"""Attachment display names (reliability-cases.md, Security)."""

from __future__ import annotations

import pytest

from pipeline.mail.filenames import MAX_LENGTH, fallback_name, safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/x", "x"),
        ("..\\win.ini", "win.ini"),
        ("C:\\Users\\li\\投诉照片.jpg", "投诉照片.jpg"),
        ("a\x00.pdf", "a.pdf"),
        ("bad\r\nname.txt", "badname.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.tar.gz", "_LPT1.tar.gz"),
        ("Aux .doc", "_Aux .doc"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ('what?<>:"|*.pdf', "what.pdf"),
        ("trailing. . ", "trailing"),
        ("", "attachment"),
        (None, "attachment"),
        ("...", "attachment"),
        ("/", "attachment"),
    ],
)
def test_attachment_names_are_made_harmless(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_the_fallback_is_used_when_nothing_is_left() -> None:
    assert safe_filename("\x00\x01", fallback="image-1.png") == "image-1.png"


def test_long_names_keep_their_extension() -> None:
    cleaned = safe_filename("照" * 300 + ".pdf")

    assert len(cleaned) == MAX_LENGTH
    assert cleaned.endswith("照.pdf")


def test_long_names_without_a_real_extension_are_cut() -> None:
    cleaned = safe_filename("x" * 100 + "." + "y" * 100)

    assert len(cleaned) <= MAX_LENGTH and cleaned


def test_lone_surrogates_are_removed() -> None:
    assert safe_filename("a\udce9b.txt") == "ab.txt"


@pytest.mark.parametrize(
    ("content_type", "number", "expected"),
    [
        ("image/png", 1, "image-1.png"),
        ("image/jpeg", 2, "image-2.jpg"),
        ("application/pdf", 1, "attachment-1.pdf"),
        ("application/x-weird+stuff", 3, "attachment-3.bin"),
        ("message/rfc822", 1, "message-1.eml"),
    ],
)
def test_unnamed_parts_get_a_name_by_type(content_type: str, number: int, expected: str) -> None:
    assert fallback_name(content_type, number) == expected
