"""Replies: the new part of a customer's answer, clean subjects, case references.

Customers answer above (sometimes below, or between the lines of) the quoted
acknowledgment, in every style of mail client, in Chinese and English. Only the new
text is threaded into the case and searched for a phone number: our own letter quoted
below it contains our service number, which must never become the customer's.

The rules follow what the clients actually write: Gmail, Apple Mail and Thunderbird
("On … wrote:", "… 于 … 写道：", "在 … 写道："), Outlook ("-----Original Message-----",
"From:/Sent:" and "发件人:/发送时间:" blocks, a line of underscores), QQ Mail and Foxmail
("------------------ 原始邮件 ------------------"), NetEase Mail Master
("---- 回复的原邮件 ----"), and the "-- " signature separator (RFC 3676).
"""

from __future__ import annotations

import re
import unicodedata

# --- subjects ----------------------------------------------------------------------

_PREFIX = re.compile(
    r"^\s*(?:"
    r"\[\s*(?:ext|external)\s*\]"  # tags added by corporate gateways
    r"|(?:re|fwd?|aw|wg|sv|vs|antw|回复|回覆|答复|答覆|转发|轉發|转寄|轉寄)"
    r"\s*(?:[\[(（]\s*\d{1,4}\s*[\])）]|\^\s*\d{1,4})?\s*[:：]"  # Re[2]:, RE(3)：, Re^2:
    r")",
    re.IGNORECASE,
)


def clean_subject(subject: str) -> str:
    """Strip any number of reply/forward prefixes and gateway tags, in both languages."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _PREFIX.sub("", subject, count=1)
    return " ".join(subject.split())


# --- quoted text -------------------------------------------------------------------

# A line that starts the quoted mail, whatever follows it.
_SEPARATOR = re.compile(
    r"^[^\S\n]*-{2,}[^\S\n]*(?:Original Message|Original|Replied Message|原始邮件|原始郵件"
    r"|邮件原件|郵件原件|回复的原邮件)[^\S\n]*-{2,}",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^[^\S\n]*_{10,}[^\S\n]*$")
_FROM_LINE = re.compile(r"^[^\S\n]*\*?(?:From|发件人|發件人|寄件者|寄件人)\*?[^\S\n]*[:：]", re.I)
_DATE_LINE = re.compile(
    r"^[^\S\n]*\*?(?:Sent|Date|发送时间|發送時間|日期|时间|時間|寄件日期)\*?[^\S\n]*[:：]", re.I
)
_HEADER_BLOCK_LINES = 5
# "On <date>, <name> wrote:" and its translations; checked on one line or two joined.
_ATTRIBUTIONS = (
    re.compile(r"^\s*(?:On|At)\s.*\bwrote\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am\s.*\bschrieb\b.*:\s*$"),
    re.compile(r"^\s*在.*(?:写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^.*(?:于|於)\s*\d.*(?:写道|寫道)\s*[:：]?\s*$"),
)
_ATTRIBUTION_END = re.compile(r"(?:\bwrote|写道|寫道|\bschrieb\b.*)\s*[:：]?\s*$", re.IGNORECASE)
# Clients always put a time or an address in the line; prose like "I wrote:" has neither.
_ATTRIBUTION_EVIDENCE = re.compile(r"\d{1,2}[:：]\d{2}|@|\b(?:19|20)\d\d\b")
_SIGNATURE = "-- "


def strip_quoted(text: str) -> str:
    """Keep only what the customer newly wrote; the whole text if that would be nothing."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end, attributions = _quote_start(lines)
    kept = [
        line.rstrip()
        for number, line in enumerate(lines[:end])
        if number not in attributions and not line.lstrip().startswith(">")
    ]
    new = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return new or text.strip()


def _quote_start(lines: list[str]) -> tuple[int, set[int]]:
    """Where the quoted mail begins, and attribution lines of '>'-quotes to drop.

    An attribution followed by '>' lines is dropped alone, so text written below or
    between the quoted lines survives; one followed by unmarked text (HTML mail,
    Outlook) starts the quote, and everything from it on goes.
    """
    attributions: set[int] = set()
    number = 0
    while number < len(lines):
        line = lines[number]
        if line.lstrip().startswith(">"):
            number += 1
            continue
        if line == _SIGNATURE or _SEPARATOR.match(line) or _header_block_at(lines, number):
            return number, attributions
        size = _attribution_size(lines, number)
        if size and not _quote_follows(lines, number + size):
            return _attribution_start(lines, number), attributions
        attributions.update(range(number, number + size))
        number += max(size, 1)
    return len(lines), attributions


def _header_block_at(lines: list[str], number: int) -> bool:
    """Outlook/Foxmail/QQ: 'From:'/'发件人:' with 'Sent:'/'发送时间:' a few lines below,
    or a line of underscores just above 'From:'."""
    if _UNDERSCORES.match(lines[number]):
        following = [line for line in lines[number + 1 : number + 4] if line.strip()]
        return bool(following) and bool(_FROM_LINE.match(following[0]))
    if not _FROM_LINE.match(lines[number]):
        return False
    block = lines[number + 1 : number + 1 + _HEADER_BLOCK_LINES]
    return any(_DATE_LINE.match(line) for line in block)


def _attribution_size(lines: list[str], number: int) -> int:
    """1 or 2 when an attribution line (maybe wrapped over two lines) starts here, else 0."""
    if _is_attribution(lines[number]):
        return 1
    if number + 1 >= len(lines):
        return 0
    second = lines[number + 1]
    if _is_attribution(second) or not _ATTRIBUTION_END.search(second):
        return 0
    return 2 if _is_attribution(f"{lines[number].rstrip()} {second.strip()}") else 0


def _is_attribution(line: str) -> bool:
    if len(line) > 400 or not _ATTRIBUTION_EVIDENCE.search(line):
        return False
    return any(pattern.match(line) for pattern in _ATTRIBUTIONS)


def _attribution_start(lines: list[str], number: int) -> int:
    # Gmail in Chinese may wrap "名字 <地址>" onto its own line above "于 … 写道：".
    line = lines[number].lstrip()
    if number > 0 and line[:1] in ("于", "於") and "@" in lines[number - 1]:
        return number - 1
    return number


def _quote_follows(lines: list[str], number: int) -> bool:
    for line in lines[number:]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


# --- case references ---------------------------------------------------------------

_DASHES = "-‐‑‒–—―﹣"  # after NFKC the full-width hyphen (U+FF0D) is already "-"


def find_case_references(text: str, prefix: str = "CP") -> tuple[str, ...]:
    """Case references such as CP-2026-000123, normalised, unique, in order of appearance.

    Customers retype references: lower case, a full-width "－" or "ＣＰ" from a
    Chinese input method, a missing or doubled hyphen. NFKC folds the full-width forms;
    the result uses ``prefix`` exactly as configured, as the database stores it.
    """
    wanted = unicodedata.normalize("NFKC", prefix).strip()
    if not wanted:
        return ()
    pattern = re.compile(
        rf"(?<![A-Za-z0-9]){re.escape(wanted)}[ \t]?[{_DASHES}]?[ \t]?"
        rf"([0-9]{{4}})[ \t]?[{_DASHES}]?[ \t]?([0-9]{{6}})(?![0-9])",
        re.IGNORECASE,
    )
    folded = unicodedata.normalize("NFKC", text)
    found = (f"{prefix}-{m.group(1)}-{m.group(2)}" for m in pattern.finditer(folded))
    return tuple(dict.fromkeys(found))
