"""Structure limits checked before parsing (reliability-cases.md: absurd structure)."""

from __future__ import annotations

import email
import random
import time
from email.policy import compat32

import pytest

from pipeline.mail import limits
from pipeline.mail.limits import check_limits, measure_tree
from pipeline.mail.message import MailLimits, MailRejected

HEAD = b"From: a@example.com\r\nSubject: x\r\nDate: Sat, 28 Nov 2026 10:00:00 +0800\r\n"
LIMITS = MailLimits()


def nested(depth: int) -> bytes:
    """``depth`` multiparts, each the first part of the one before."""
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(depth)))
    return HEAD + opening + b"Content-Type: text/plain\r\n\r\nx" + closing + b"\r\n"


def flat(parts: int) -> bytes:
    body = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(parts))
    return HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + body + b"--b--\r\n"


def rejected(raw: bytes, limits: MailLimits = LIMITS) -> str:
    with pytest.raises(MailRejected) as caught:
        check_limits(raw, limits)
    return caught.value.reason


def test_a_hundred_megabyte_mail_is_refused_at_once() -> None:
    raw = HEAD + b"\r\n" + b"A" * (100 * 1024 * 1024)

    started = time.monotonic()
    reason = rejected(raw)

    assert time.monotonic() - started < 1
    assert reason == "The mail is 100 MB; the limit is 40 MB, so it was not opened."


def test_a_one_megabyte_header_line_is_refused() -> None:
    reason = rejected(HEAD + b"X-Junk: " + b"x" * 1024 * 1024 + b"\r\n\r\nbody")

    assert "header line is 1.0 MB long (limit 64 KB)" in reason


def test_a_long_line_in_the_body_is_fine() -> None:
    """HTML bodies often come as one long line; only header lines are limited."""
    check_limits(HEAD + b"\n" + b"<p>" * 400_000 + b"\n", LIMITS)


def test_the_header_ends_at_the_first_blank_line_in_either_line_ending() -> None:
    raw = HEAD + b"\r\n" + b"x" * 100_000 + b"\n\n" + b"y" * 100_000

    check_limits(raw, LIMITS)


def test_thousands_of_nested_multiparts_are_refused_quickly() -> None:
    started = time.monotonic()
    reason = rejected(nested(5000))

    assert time.monotonic() - started < 1
    assert "more than 200 multipart sections" in reason


def test_nesting_one_level_too_deep_is_refused_before_parsing() -> None:
    reason = rejected(nested(10))  # ten multiparts and a text part: eleven levels

    assert "nested 11 deep (limit 10)" in reason


def test_nesting_at_the_limit_is_accepted() -> None:
    check_limits(nested(9), LIMITS)


def test_too_many_parts_in_one_multipart_are_refused_before_parsing() -> None:
    assert "more than 200 parts" in rejected(flat(1000))


def test_parts_at_the_limit_are_accepted() -> None:
    check_limits(flat(199), LIMITS)  # 199 parts and the multipart itself


def test_deeply_nested_attached_messages_are_refused() -> None:
    raw = HEAD + b"Content-Type: message/rfc822\r\n\r\n" * 50 + b"From: x@y\r\n\r\nbody"

    assert "nested" in rejected(raw)


def test_a_forty_megabyte_mail_of_boundary_like_lines_is_judged_quickly() -> None:
    raw = flat(3)[:-9] + b"--not-the-boundary\r\n" * (38 * 1024 * 1024 // 20) + b"--b--\r\n"

    started = time.monotonic()
    check_limits(raw, LIMITS)

    assert time.monotonic() - started < 2


def test_a_flood_of_closing_lines_is_refused() -> None:
    raw = flat(1)[:-7] + b"--b--\r\n" * 1_000_000

    assert "parts" in rejected(raw)


def test_reasons_use_the_configured_limits() -> None:
    limits = MailLimits(max_bytes=1024, max_header_line_bytes=100, max_parts=5, max_depth=3)

    assert "limit is 1 KB" in rejected(HEAD + b"\r\n" + b"x" * 2000, limits)
    assert "more than 5 parts" in rejected(flat(10), limits)


def random_tree(rng: random.Random, depth: int, names: list[int]) -> bytes:
    """A random well-formed MIME body: text leaves, attached messages, multiparts."""
    roll = rng.random()
    if depth > 8 or roll < 0.5:
        return b"Content-Type: text/plain\r\n\r\nleaf\r\n-- \r\nsignature"
    if roll < 0.6:
        inner = random_tree(rng, depth + 1, names)
        return b"Content-Type: message/rfc822\r\n\r\nFrom: x@example.com\r\n" + inner
    names.append(len(names))
    boundary = b"=_b%d" % names[-1]
    children = b"".join(
        b"--" + boundary + b"\r\n" + random_tree(rng, depth + 1, names) + b"\r\n"
        for _ in range(rng.randint(1, 3))
    )
    return (
        b'Content-Type: multipart/mixed; boundary="'
        + boundary
        + b'"\r\n\r\npreamble\r\n'
        + children
        + b"--"
        + boundary
        + b"--\r\nepilogue"
    )


def test_the_cheap_scan_agrees_with_the_parsed_tree() -> None:
    """GIVEN random well-formed mails around the limits
    THEN the scan before parsing refuses exactly those whose parsed tree is over them
    (no honest mail is refused by the estimate)."""
    rng = random.Random(1128)
    limits = MailLimits(max_parts=20, max_depth=5)
    for _ in range(300):
        raw = HEAD + random_tree(rng, 0, [])
        parts, depth = measure_tree(email.message_from_bytes(raw, policy=compat32))
        over = parts > limits.max_parts or depth > limits.max_depth
        try:
            check_limits(raw, limits)
        except MailRejected:
            refused = True
        else:
            refused = False
        assert refused == over, (parts, depth)


def test_a_header_of_a_hundred_thousand_lines_is_refused() -> None:
    raw = HEAD + b"Received: from x by y; Sat, 28 Nov 2026 10:00:00 +0800\r\n" * 100_000

    assert "header has 100,003 lines (limit 10,000)" in rejected(raw + b"\r\nbody")


def test_a_plain_multipart_mail_is_judged_without_compiling_a_pattern(monkeypatch) -> None:
    """Each mail has boundaries of its own: a pattern made of them would be compiled
    for every mail (a quarter of a millisecond, and other patterns pushed out of the
    ``re`` module's cache)."""
    def compiled(boundaries: set[bytes]) -> None:
        raise AssertionError(f"a pattern was compiled for {boundaries}")

    monkeypatch.setattr(limits, "_event_pattern", compiled)
    check_limits(nested(LIMITS.max_depth - 1), LIMITS)
    assert "more than" in rejected(flat(LIMITS.max_parts + 1))


def events_by_the_boundaries_pattern(lowered: bytes, boundaries: set[bytes]) -> list:
    return [(found.group("boundary"), found.group("close") is not None)
            for found in limits._event_pattern(boundaries).finditer(lowered)]


def test_the_scan_reads_delimiters_as_a_pattern_of_the_boundaries_would() -> None:
    """GIVEN tricky lines: a boundary that is another followed by "--", trailing blanks,
    a bare CR, dashes before a boundary, signatures, attached messages
    THEN the scan finds the same events, in the same order, as a pattern naming the
    mail's boundaries (what it replaced), with or without its hand-over to it."""
    boundaries = {b"x", b"x--", b"=_ab"}
    lines = [b"--x", b"--x--", b"--x----", b"--x-- \t", b"--x --", b"--x\rz", b"--x\r",
             b"---x", b"--=_ab", b"--=_ab--", b"-- ", b"--", b"--y",
             b"content-type: message/rfc822", b"content-type:\tmessage/global", b"text"]
    rng = random.Random(1206)
    for size in (5, 50, 400, 1200):  # past 200 other dash lines, the pattern takes over
        lowered = b"\n".join(rng.choice(lines) for _ in range(size)) + b"\r\n"
        expected = events_by_the_boundaries_pattern(lowered, boundaries)
        assert list(limits._events(lowered, boundaries)) == expected


def test_many_dash_lines_that_close_nothing_leave_the_verdict_as_it_was() -> None:
    """GIVEN mails whose parts are preceded by hundreds of lines starting with "--"
    THEN each is accepted or refused as it is without them."""
    noise = b"-- \r\n--not-a-boundary\r\n" * 300
    for parts in (LIMITS.max_parts - 1, LIMITS.max_parts):
        head, _, body = flat(parts).partition(b"\r\n\r\n--b")
        padded = head + b"\r\n\r\n" + noise + b"--b" + body
        outcomes = []
        for raw in (flat(parts), padded):
            try:
                check_limits(raw, LIMITS)
                outcomes.append("accepted")
            except MailRejected:
                outcomes.append("refused")
        assert outcomes[0] == outcomes[1], (parts, outcomes)
    assert outcomes == ["refused", "refused"]
