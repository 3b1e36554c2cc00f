"""Replies: the new part of a customer's answer, clean subjects, case references.

Customers answer above the quoted acknowledgment in every style of mail client, in
Chinese and English; only the new text is threaded into the case and searched for a
phone number (our own letter quoted below it contains our service number).
"""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"^\s*(?:\[(?:ext|external)\]\s*|(?:re|fw|fwd|aw|wg|sv|vs|antw|回复|回覆|答复|转发|轉寄|转寄)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)",
    re.IGNORECASE,
)

_CUTS = [
    re.compile(r"^\s*On .{0,200}wrote:\s*$", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^\s*On .{0,200}\n.{0,200}wrote:\s*$", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}", re.MULTILINE),
    re.compile(r"^\s*-{3,}\s*原始邮件\s*-{3,}", re.MULTILINE),
    re.compile(r"^\s*(?:在|于)\s*.{0,120}写道\s*[:：]?\s*$", re.MULTILINE),
    re.compile(r"^\s*_{10,}\s*$\n^\s*(?:From|发件人)\s*[:：]", re.MULTILINE | re.IGNORECASE),
    re.compile(
        r"^\s*(?:From|发件人)\s*[:：].*\n(?:.*\n){0,3}?\s*(?:Sent|Date|发送时间|日期|时间)\s*[:：]",
        re.MULTILINE | re.IGNORECASE,
    ),
]
_SIGNATURE = re.compile(r"^-- $", re.MULTILINE)
_REFERENCE = r"({prefix})\s*[-－—]?\s*(\d{{4}})\s*[-－—]?\s*(\d{{6}})"


def clean_subject(subject: str) -> str:
    """Strip any number of reply/forward prefixes, in both languages."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _PREFIX.sub("", subject, count=1)
    return " ".join(subject.split())


def strip_quoted(text: str) -> str:
    """Keep only what the customer newly wrote above the quote."""
    cut = len(text)
    for pattern in _CUTS:
        found = pattern.search(text)
        if found and found.start() < cut:
            cut = found.start()
    signature = _SIGNATURE.search(text, 0, cut)
    if signature:
        cut = signature.start()
    kept = "\n".join(line for line in text[:cut].splitlines() if not line.lstrip().startswith(">"))
    kept = kept.strip()
    return kept or text.strip()


def find_case_references(text: str, prefix: str = "CP") -> tuple[str, ...]:
    """Case references such as CP-2026-000123, normalised, in order of appearance."""
    pattern = re.compile(_REFERENCE.format(prefix=re.escape(prefix)), re.IGNORECASE)
    found = (f"{prefix.upper()}-{m.group(2)}-{m.group(3)}" for m in pattern.finditer(text))
    return tuple(dict.fromkeys(found))
