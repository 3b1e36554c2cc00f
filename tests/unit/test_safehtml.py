"""Sanitising hostile HTML stays linear: nesting is capped before nh3 sees it."""

from __future__ import annotations

import time

from pipeline.mail.safehtml import MAX_DEPTH, cap_depth, sanitise_html


def test_depth_is_capped_and_the_text_kept() -> None:
    assert cap_depth("<div><p>a<br>b</p><div/><img src=x></div>", 1) == (
        "<div>a<br>b<div/><img src=x></div>")
    deep = "<div>" * 500 + "hello" + "</div>" * 500
    capped = cap_depth(deep)
    assert capped.count("<div>") == MAX_DEPTH == capped.count("</div>") and "hello" in capped


def test_stray_end_tags_cannot_hide_depth() -> None:
    """``</span>`` closes nothing, so it must not count as closing a ``<div>``."""
    capped = cap_depth("<div></span>" * 1000 + "x")
    assert capped.count("<div>") == MAX_DEPTH and "</span>" not in capped


def test_hostile_nesting_is_sanitised_quickly() -> None:
    for markup in ("<div>" * 100_000, "<div></span>" * 40_000, "<b><i>" * 50_000,
                   "<table><tr><td>" * 30_000):
        started = time.process_time()  # CPU: the same on a busy machine
        sanitise_html(markup)
        assert time.process_time() - started < 3.0  # was ~15 s for the deepest before the cap


def test_ordinary_mail_is_unchanged_by_the_cap() -> None:
    markup = "<p>My <b>kettle</b> leaks.</p><table><tr><td>1</td></tr></table>"
    assert cap_depth(markup) == markup
    assert "<script" not in sanitise_html(markup + "<script>alert(1)</script>")
