"""Structure limits, checked on the raw bytes before a mail is parsed.

A mail bomb (100 MB, a 1 MB header line, thousands of nested multiparts) must be
refused without being built: the standard parser recurses once per nesting level
and keeps every part in memory. The scan here reads the bytes with a few C-speed
searches and a loop over at most a few hundred boundary lines, so even a 40 MB
mail is judged in well under a second. After parsing, :func:`check_tree` measures
the real tree, because the cheap scan can be fooled in the permissive direction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message

from config.settings import Settings
from pipeline.mail.message import MailLimits, MailRejected

# Not in MailLimits (yet): real mails have a few dozen header lines, a few thousand with
# a huge folded To:. Every header is decoded, so 200,000 of them would cost seconds.
MAX_HEADER_LINES = 10_000
_MB = 1024 * 1024
_KB = 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# Both searched in a lower-cased copy of the mail: case-insensitive patterns lose the
# regex engine's fast literal search, which matters on a 40 MB mail. (Boundaries are
# case-sensitive; two that differ only in case would be merged. The estimate may then
# be off, and the check of the parsed tree still applies.)
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))')
_ATTACHED_MESSAGE = rb"content-type:[ \t]*message/(?:rfc822|global)\b"
_CANDIDATES = re.compile(rb"\n(?:" + _ATTACHED_MESSAGE + rb"|--(?P<line>[^\r\n]*)\r?(?=\n|$))")
"""An attached message's header, or any line starting with ``--`` (see :func:`_events`)."""
_OTHER_DASH_LINES = 200
"""Lines starting with ``--`` that are no delimiter, before the boundaries' own pattern
takes over: signatures ("-- ") and quoted delimiters are a handful in a real mail."""


def check_limits(raw: bytes, limits: MailLimits) -> None:
    """Refuse, before parsing, mail whose size or structure is beyond what a person sends."""
    if len(raw) > limits.max_bytes:
        raise MailRejected(
            f"The mail is {_size(len(raw))}; the limit is {_size(limits.max_bytes)}, "
            "so it was not opened."
        )
    _check_header_lines(raw, limits)
    lowered = raw.lower()
    boundaries = _declared_boundaries(lowered, limits)
    parts, depth = _scan_structure(lowered, boundaries, limits)
    _refuse_structure(parts, depth, limits, "was not opened")


def check_tree(message: Message, limits: MailLimits) -> None:
    """Refuse a parsed mail whose real part count or depth is over the limits."""
    parts, depth = measure_tree(message)
    _refuse_structure(parts, depth, limits, "was not read further")


def measure_tree(message: Message) -> tuple[int, int]:
    """Count parts and nesting depth without recursion (a hostile mail could nest deeply)."""
    parts, depth = 0, 0
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, level = stack.pop()
        parts += 1
        depth = max(depth, level)
        if part.is_multipart():  # never get_payload() on a leaf: it decodes by the label
            children = part.get_payload()
            stack.extend((child, level + 1) for child in children if isinstance(child, Message))
    return parts, depth


def _refuse_structure(parts: int, depth: int, limits: MailLimits, outcome: str) -> None:
    if parts > limits.max_parts:
        raise MailRejected(
            f"The mail has more than {limits.max_parts} parts; "
            f"it looks malformed or hostile and {outcome}."
        )
    if depth > limits.max_depth:
        raise MailRejected(
            f"The mail's parts are nested {depth} deep (limit {limits.max_depth}); "
            f"it looks malformed or hostile and {outcome}."
        )


def _check_header_lines(raw: bytes, limits: MailLimits) -> None:
    end = _HEADER_END.search(raw)
    head = raw if end is None else raw[: end.start()]
    lines = head.split(b"\n")
    if len(lines) > MAX_HEADER_LINES:
        raise MailRejected(
            f"The mail's header has {len(lines):,} lines (limit {MAX_HEADER_LINES:,}); "
            "the mail looks malformed or hostile and was not opened."
        )
    longest = max((len(line) for line in lines), default=0)
    if longest > limits.max_header_line_bytes:
        raise MailRejected(
            f"A header line is {_size(longest)} long "
            f"(limit {_size(limits.max_header_line_bytes)}); "
            "the mail looks malformed or hostile and was not opened."
        )


def _declared_boundaries(lowered: bytes, limits: MailLimits) -> set[bytes]:
    """Every boundary the mail declares; more than ``max_parts`` is refused at once."""
    boundaries: set[bytes] = set()
    for count, found in enumerate(_BOUNDARY_PARAM.finditer(lowered), start=1):
        if count > limits.max_parts:
            raise MailRejected(
                f"The mail declares more than {limits.max_parts} multipart sections; "
                "it looks malformed or hostile and was not opened."
            )
        value = (found.group(1) or found.group(2)).rstrip()
        if value:
            boundaries.add(value)
    return boundaries


def _scan_structure(lowered: bytes, boundaries: set[bytes], limits: MailLimits) -> tuple[int, int]:
    """Estimate (parts, depth) from boundary lines and attached-message headers, in order.

    A multipart counts as open from its first delimiter line until its closing line
    or a delimiter of an enclosing multipart; an attached message stays open until
    the enclosing multipart moves on. Estimates match :func:`measure_tree` for
    well-formed mail; the loop stops as soon as a limit is passed.
    """
    if not boundaries and b"message/" not in lowered:
        return 1, 1
    stack: list[bytes] = []  # open boundaries; b"" marks an attached message
    parts, depth = 1, 1
    for seen, (boundary, closing) in enumerate(_events(lowered, boundaries), start=1):
        if seen > 3 * limits.max_parts + 10 or parts > limits.max_parts:
            return max(parts, limits.max_parts + 1), depth
        if boundary is None:
            stack.append(b"")
        else:
            parts += _delimiter(stack, boundary, closing=closing)
        depth = max(depth, len(stack) + 1)
        if depth > limits.max_depth:
            return parts, depth
    return parts, depth


def _events(lowered: bytes, boundaries: set[bytes]) -> Iterator[tuple[bytes | None, bool]]:
    """Each line that opens an attached message (None) or is a delimiter of a declared
    boundary (the boundary, and whether it closes), in order.

    One pattern, compiled once, finds the candidates: the attached-message headers and
    every line starting with ``--``, whose rest is then looked up among the boundaries.
    A pattern naming the mail's own boundaries would be compiled for every mail (a
    quarter of a millisecond, and it pushes other patterns out of the ``re`` module's
    cache). After :data:`_OTHER_DASH_LINES` lines that start with ``--`` but close no
    boundary (a mail made of them, say), the rest of the mail is searched by that
    pattern after all, at C speed.
    """
    others = 0
    for found in _CANDIDATES.finditer(lowered):
        line = found.group("line")
        if line is None:
            yield None, False
            continue
        delimiter = _delimiter_of(line, boundaries)
        if delimiter is not None:
            yield delimiter
            continue
        others += 1
        if others > _OTHER_DASH_LINES:
            for event in _event_pattern(boundaries).finditer(lowered, found.start()):
                yield event.group("boundary"), event.group("close") is not None
            return


def _delimiter_of(line: bytes, boundaries: set[bytes]) -> tuple[bytes, bool] | None:
    """``boundary[--][ \t]*`` (the line after its ``--``), as the pattern would read it:
    the longer boundary first when one is another followed by ``--``."""
    rest = line.rstrip(b" \t")
    if rest in boundaries:
        return rest, False
    if rest.endswith(b"--") and rest[:-2] in boundaries:
        return rest[:-2], True
    return None


def _delimiter(stack: list[bytes], boundary: bytes, *, closing: bool) -> int:
    """Apply one delimiter line to the stack of open sections; returns parts it starts."""
    if boundary in stack:
        del stack[stack.index(boundary) + 1 :]
    elif not closing:
        stack.append(boundary)
    if closing:
        if stack and stack[-1] == boundary:
            stack.pop()
        return 0
    return 1


def _event_pattern(boundaries: set[bytes]) -> re.Pattern[bytes]:
    """Lines that open an attached message or are a delimiter of a declared boundary.

    Every alternative starts with a newline, so the engine can jump between line
    starts instead of trying each byte of a 40 MB mail. Its groups are None for an
    attached message, as in :data:`_CANDIDATES`.
    """
    names = b"|".join(re.escape(b) for b in sorted(boundaries, key=len, reverse=True))
    delimiter = rb"--(?P<boundary>" + (names or rb"(?!)") + rb")(?P<close>--)?[ \t]*\r?(?=\n|$)"
    return re.compile(rb"\n(?:" + _ATTACHED_MESSAGE + rb"|" + delimiter + rb")")


def _size(count: int) -> str:
    if count >= _MB:
        return f"{count / _MB:.0f} MB" if count >= 10 * _MB else f"{count / _MB:.1f} MB"
    return f"{count / _KB:.0f} KB" if count >= _KB else f"{count} bytes"


def limits_from(settings: Settings) -> MailLimits:
    """The parser's bounds as this installation sets them."""
    return MailLimits(
        max_bytes=settings.max_mail_bytes,
        max_parts=settings.max_mime_parts,
        max_depth=settings.max_mime_depth,
        max_header_line_bytes=settings.max_header_line_bytes,
    )
