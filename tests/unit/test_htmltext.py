"""Plain text from HTML mail, and that hostile markup costs linear time."""

from __future__ import annotations

import time

import pytest

from pipeline.mail.htmltext import html_to_text


def test_scripts_styles_and_titles_are_dropped() -> None:
    markup = (
        "<html><head><title>Shop</title><style>p{color:red}</style>"
        "<script>alert(1)</script></head><body>kettle</body></html>"
    )

    assert html_to_text(markup) == "kettle"


def test_block_elements_become_line_breaks() -> None:
    markup = "<p>first</p><div>second<br>third</div><ul><li>a</li><li>b</li></ul>"

    assert html_to_text(markup).splitlines() == ["first", "", "second", "third", "", "a", "b"]


def test_paragraphs_keep_one_blank_line_between_them() -> None:
    assert html_to_text("<p>one</p>\n\n<p></p><p>two</p>") == "one\n\ntwo"


def test_entities_are_decoded() -> None:
    assert html_to_text("a &amp; b &lt;c&gt; &#20320;&#x597D;&nbsp;!") == "a & b <c> 你好 !"


def test_source_line_breaks_are_only_spaces() -> None:
    assert html_to_text("<p>订单号：\n  12345\r\n结束</p>") == "订单号： 12345 结束"


def test_table_cells_are_separated() -> None:
    assert html_to_text("<table><tr><td>订单</td><td>42</td></tr></table>") == "订单 42"


def test_a_missing_head_end_does_not_swallow_the_mail() -> None:
    assert html_to_text("<html><head><title>t</title><body>hello <b>world</b>") == "hello world"


def test_comments_doctypes_and_lone_angle_brackets() -> None:
    markup = "<!DOCTYPE html><!-- hidden -- note -->a < b<?xml x?> ok"

    assert html_to_text(markup) == "a < b ok"


def test_an_unclosed_script_hides_the_rest_like_a_browser() -> None:
    assert html_to_text("visible<script>var x = '<p>hidden</p>'") == "visible"


def test_noscript_content_is_kept_because_mail_clients_never_run_scripts() -> None:
    assert html_to_text("<noscript>Please call us</noscript>") == "Please call us"


def test_case_changes_that_alter_length_do_not_shift_positions() -> None:
    """ "İ".lower() is two characters; searching in a lowered copy would cut text."""
    assert html_to_text("İİİ<SCRIPT>x</Script>after") == "İİİafter"


@pytest.mark.parametrize(
    "markup",
    [
        "<a" * 200_000,
        "<!--x" * 100_000,
        "<div>" * 100_000,
        "<b><i>" * 50_000 + "</b>x" * 50_000,
        "<![CDATA[" * 50_000,
        "</" * 200_000,
        "<script></script>" * 20_000,
        '<a b="' * 100_000,
        " " * 1_000_000 + "<br>",
        "x \t" * 300_000,
    ],
    ids=[
        "open-tags",
        "comments",
        "deep-nesting",
        "misnested",
        "cdata",
        "end-tags",
        "scripts",
        "quotes",
        "spaces",
        "words",
    ],
)
def test_hostile_markup_is_read_in_linear_time(markup: str) -> None:
    """GIVEN markup that makes quadratic parsers stall (HTMLParser, html5ever)
    THEN the text comes out well within a second."""
    started = time.monotonic()
    html_to_text(markup)

    assert time.monotonic() - started < 1.0
