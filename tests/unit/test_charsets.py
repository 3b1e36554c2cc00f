"""Charset labels as mail clients really write them (reliability-cases.md, MIME and charsets)."""

from __future__ import annotations

import pytest

from pipeline.mail.charsets import codec_for, decode_text

GBK_ONLY = "李喆 朱镕基 王堃 犇 昇"  # every name has a character outside GB2312


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("big5", "big5hkscs"),
        ("shift_jis", "cp932"),
        ("ks_c_5601-1987", "cp949"),
        ("euc-kr", "cp949"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("latin1", "cp1252"),
        ("windows-874", "cp874"),
        ('"utf-8"', "utf-8"),
    ],
)
def test_labels_map_to_the_superset_clients_really_use(label: str, codec: str) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize("label", ["base64", "zlib", "rot13", "undefined", "punycode", "a\x00b"])
def test_labels_naming_codecs_that_are_not_mail_text_are_refused(label: str) -> None:
    """GIVEN a hostile label naming a Python codec that is not a text charset
    THEN it is treated as unknown, never used to decode."""
    assert codec_for(label) is None


@pytest.mark.parametrize("label", ["gb2312", "gbk", "x-gbk", "cp936"])
def test_gbk_characters_under_narrow_labels_decode_exactly(label: str) -> None:
    text, defect = decode_text(GBK_ONLY.encode("gbk"), label)

    assert text == GBK_ONLY
    assert defect is None


def test_big5_label_reads_hkscs_characters() -> None:
    text, defect = decode_text("我哋嘅訂單㗎".encode("big5hkscs"), "big5")

    assert (text, defect) == ("我哋嘅訂單㗎", None)


def test_latin1_label_reads_windows_1252_punctuation() -> None:
    text, _ = decode_text("20€ – “too much”".encode("cp1252"), "iso-8859-1")

    assert text == "20€ – “too much”"


def test_utf8_bytes_under_ascii_label_are_read_as_utf8_silently() -> None:
    text, defect = decode_text("naïve café 投诉".encode(), "us-ascii")

    assert (text, defect) == ("naïve café 投诉", None)


@pytest.mark.parametrize("label", ["unknown-8bit", "x-user-defined", "no-such-charset"])
def test_labels_python_lacks_are_guessed_and_flagged(label: str) -> None:
    text, defect = decode_text("订单 broken".encode(), label)

    assert text == "订单 broken"
    assert defect is not None and label in defect


def test_unknown_label_on_gbk_bytes_falls_back_to_gb18030() -> None:
    text, defect = decode_text(GBK_ONLY.encode("gbk"), "x-mystery")

    assert text == GBK_ONLY
    assert defect is not None and "gb18030" in defect


def test_wrong_label_is_corrected_by_a_strict_guess_and_flagged() -> None:
    text, defect = decode_text("订单号 42".encode(), "iso-2022-jp")

    assert text == "订单号 42"
    assert defect is not None


def test_undecodable_text_is_replaced_and_flagged() -> None:
    text, defect = decode_text(b"\xff\xfe\xfa\x80\x81 abc \xff\x80", "utf-8")

    assert "abc" in text and "\ufffd" in text
    assert defect is not None and "replaced" in defect


def test_ascii_text_needs_no_label() -> None:
    assert decode_text(b"plain words", None) == ("plain words", None)


def test_utf16_is_not_mistaken_for_ascii() -> None:
    text, _ = decode_text("投诉".encode("utf-16"), "utf-16")

    assert text == "投诉"


def test_decoded_text_never_holds_lone_surrogates() -> None:
    """GIVEN utf-7 that decodes to half a surrogate pair THEN no surrogate survives
    (a UTF-8 database refuses it)."""
    assert b"+2D0-".decode("utf-7") == "\ud83d"  # what Python itself returns

    text, _ = decode_text(b"+2D0- ok", "utf-7")

    assert not any("\ud800" <= ch <= "\udfff" for ch in text)
    assert "ok" in text


def test_a_hostile_label_is_shown_short_and_printable() -> None:
    _, defect = decode_text("订单".encode(), "x\r\n" + "y" * 500)

    assert defect is not None
    assert "\r" not in defect and "\n" not in defect and len(defect) < 150
