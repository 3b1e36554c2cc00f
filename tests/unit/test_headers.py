"""Header decoding: RFC 2047 encoded words, raw 8-bit headers, Message-IDs."""

from __future__ import annotations

import base64

from pipeline.mail.headers import decode_header_value, normalise_msgid, split_msgids


def word(data: bytes, charset: str = "gb2312") -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def decoded(value: str) -> tuple[str, list[str]]:
    defects: list[str] = []
    return decode_header_value(value, defects), defects


def test_gbk_bytes_in_a_gb2312_word_are_exact() -> None:
    assert decoded(word("投诉：朱镕基".encode("gbk"))) == ("投诉：朱镕基", [])


def test_a_character_split_across_two_words_is_rejoined() -> None:
    """GIVEN a client that cut a GBK character between two encoded words."""
    data = "王堃投诉".encode("gbk")

    text, _ = decoded(f"{word(data[:3])}\r\n {word(data[3:])}")

    assert text == "王堃投诉"


def test_whitespace_between_words_goes_but_text_between_stays() -> None:
    value = f"Re: {word('李喆'.encode('gbk'))} {word('犇'.encode('gbk'))} and {word(b'x')}"

    assert decoded(value)[0] == "Re: 李喆犇 and x"


def test_raw_utf8_header_bytes_are_read_as_utf8() -> None:
    raw = "投诉 — naïve".encode().decode("ascii", "surrogateescape")

    assert decoded(raw) == ("投诉 — naïve", [])


def test_raw_bytes_next_to_an_encoded_word_are_both_read() -> None:
    raw = "投诉 ".encode().decode("ascii", "surrogateescape") + word("退款".encode(), "utf-8")

    assert decoded(raw)[0] == "投诉 退款"


def test_encoded_line_breaks_cannot_inject_a_header() -> None:
    text, _ = decoded("=?utf-8?Q?Hello=0D=0ABcc:_victim@example.com?=")

    assert "\r" not in text and "\n" not in text
    assert text == "Hello  Bcc: victim@example.com"


def test_control_characters_are_removed() -> None:
    assert decoded("a\x00b\x1bc\x7fd\u2028e")[0] == "abcd e"


def test_folded_lines_are_unfolded() -> None:
    assert decoded("a long\r\n\tsubject")[0] == "a long subject"


def test_a_damaged_word_is_kept_as_sent_and_flagged() -> None:
    text, defects = decoded("=?utf-8?B?a?= rest")

    assert text == "=?utf-8?B?a?= rest"
    assert defects


def test_unknown_charset_in_a_word_is_guessed_and_flagged() -> None:
    text, defects = decoded("=?x-unknown?Q?caf=C3=A9?=")

    assert text == "café"
    assert defects


def test_q_words_turn_underscores_into_spaces() -> None:
    assert decoded("=?utf-8?Q?Wang=2C_Fang?=")[0] == "Wang, Fang"


def test_language_suffix_of_rfc2231_is_accepted() -> None:
    assert decoded("=?utf-8*zh?Q?=E6=8A=95=E8=AF=89?=")[0] == "投诉"


def test_message_ids_keep_their_angle_brackets_only() -> None:
    assert normalise_msgid("  <abc@example.com> (comment)") == "<abc@example.com>"
    assert normalise_msgid("abc@example.com") == "<abc@example.com>"
    assert normalise_msgid("\r\n ") is None
    assert normalise_msgid(None) is None


def test_references_are_split_in_order() -> None:
    value = "<a@x>\r\n <b@x>  <c@x>"

    assert split_msgids(value) == ["<a@x>", "<b@x>", "<c@x>"]
