"""Record-form fields read from a letter's text (OCR'd or typed), each with a confidence.

A pure module: text in, fields out. It reuses the mail extraction (names, phones,
orders, demands, what happened) and adds what only letters carry: a postal address,
the date written on the letter, and amounts. Each field gets a confidence in 0..1 —
how sure the rule is, times how well OCR read the page — and fields below
``WEAK_BELOW`` (or missing) are flagged so staff check them in review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipeline.text.demands import find_demands
from pipeline.text.extract import (
    DEFAULT_ORDER_PATTERN,
    customer_email,
    customer_name,
    find_order_numbers,
    summarise,
    what_happened,
)
from pipeline.text.language import detect_language
from pipeline.text.phone_reading import read_phones
from pipeline.text.phones import find_phones, fold_fullwidth
from pipeline.text.regions import phone_context

WEAK_BELOW = 0.6
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Field:
    """One extracted value with how sure we are of it."""

    value: str
    confidence: float

    @property
    def weak(self) -> bool:
        return not self.value or self.confidence < WEAK_BELOW


@dataclass(frozen=True)
class LetterFields:
    """Everything the record form needs from a letter; lists keep the order of appearance."""

    language: str
    name: Field
    address: Field
    phone: Field
    email: Field
    letter_date: Field  # ISO yyyy-mm-dd
    what_happened: Field
    phones: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()
    summary: str = ""
    extra: dict[str, Field] = field(default_factory=dict)
    phone_written: str = ""  # the phone as the letter writes it
    phones_unsure: tuple[str, ...] = ()  # numbers kept as written: country unclear
    phone_candidates: tuple[str, ...] = ()  # every E.164 reading, for staff

    def confidences(self) -> dict[str, dict[str, object]]:
        """Per field: value, confidence and weak flag, as stored for the review screen."""
        named = {
            "customer_name": self.name,
            "customer_address": self.address,
            "customer_phone": self.phone,
            "customer_email": self.email,
            "letter_date": self.letter_date,
            "what_happened": self.what_happened,
            "order_numbers": _list_field(self.orders, 0.8),
            "amounts": _list_field(self.amounts, 0.8),
            "demands": _list_field(self.demands, 0.7),
            **self.extra,
        }
        return {
            key: {"confidence": round(f.confidence, 2), "weak": f.weak} for key, f in named.items()
        }


def _list_field(values: tuple[str, ...], confidence: float) -> Field:
    return Field(", ".join(values), confidence if values else 0.0)


# --- dates ------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ZH_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})\s*({_MONTH_RX})\.?,?\s*(\d{{4}})", re.IGNORECASE)
_MDY_DATE = re.compile(rf"\b({_MONTH_RX})\.?\s*(\d{{1,2}}),?\s*(\d{{4}})", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """The first date in one of the letter formats: 2024年3月15日, 15 March 2024, 2024-03-15."""
    for rx, order in (
        (_ZH_DATE, "ymd"),
        (_ISO_DATE, "ymd"),
        (_DMY_DATE, "dmy"),
        (_MDY_DATE, "mdy"),
    ):
        found = rx.search(text)
        if found:
            parts = dict(zip(order, found.groups(), strict=True))
            month = parts["m"]
            month_number = int(month) if month.isdigit() else _MONTHS[month.lower()]
            try:
                return date(int(parts["y"]), month_number, int(parts["d"]))
            except ValueError:
                continue
    return None


def letter_date(lines: list[str]) -> Field:
    """The date a letter was written: a line that holds only a date (top or signature)."""
    for line in lines:
        stripped = line.strip(" ,.。")
        parsed = parse_date(stripped)
        if parsed is not None and len(stripped) <= 22:
            return Field(parsed.isoformat(), 0.9)
    return Field("", 0.0)


# --- addresses --------------------------------------------------------------------------

_ZH_LABEL = re.compile(r"(?:通讯地址|联系地址|收货地址|家庭地址|住址|地址)\s*[:：]?\s*(.+)")
_ZH_ADDRESS = re.compile(
    r"(?:[\u4e00-\u9fff]{2,7}(?:省|自治区))?[\u4e00-\u9fff]{2,7}市[\u4e00-\u9fff]{1,7}(?:区|县)"
    r"[\u4e00-\u9fff0-9]{1,20}(?:路|街|大道|道|巷|弄)\s*\d+\s*号[^\n，,。]{0,20}"
)
_EN_STREET = re.compile(
    r"^(?:(?:flat|apt|unit|room)\s*\w+,?\s*)?\d+[A-Za-z]?,?\s+[A-Za-z][\w .'-]*\b"
    r"(?:road|rd|street|st|avenue|ave|lane|ln|drive|dr|way|boulevard|blvd|square|place|court)\b",
    re.IGNORECASE,
)
_EN_LABEL = re.compile(r"^\s*(?:my\s+)?(?:postal\s+)?address\s*(?:is)?\s*[:：]?\s*(.+)$", re.I)
# A town or country line, which may end in a postcode (UK "M1 5QA", US "NY 10001",
# Singapore "049315").
_PLACE_LINE = re.compile(
    r"^[A-Z][A-Za-z .'-]{1,40}(?:,\s*[A-Z][A-Za-z .'-]{1,40})*"
    r"(?:,?\s+(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]{2} \d{5}(?:-\d{4})?|\d{5,6}))?$"
)
# A UK postcode, whose space OCR often drops ("M15QA" is "M1 5QA").
_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?) ?(\d[ABD-HJLNP-UW-Z]{2})$")


def address(lines: list[str]) -> Field:
    """A postal address: labelled (地址：…), a 省/市/区/路/号 run, or an English street block."""
    for line in lines:
        labelled = _ZH_LABEL.search(line) or _EN_LABEL.match(line)
        if labelled and re.search(r"\d", labelled.group(1)):
            return Field(_tidy_address(labelled.group(1)), 0.9)
    for line in lines:
        found = _ZH_ADDRESS.search(line)
        if found:
            return Field(_tidy_address(found.group()), 0.75)
    for index, line in enumerate(lines):
        if _EN_STREET.match(line.strip()):
            block = [line.strip().rstrip(",")]
            for following in lines[index + 1 : index + 3]:
                if not _PLACE_LINE.match(following.strip()) or parse_date(following):
                    break
                block.append(_UK_POSTCODE.sub(r"\1 \2", following.strip().rstrip(",")))
            return Field(", ".join(block), 0.7 if len(block) > 1 else 0.5)
    return Field("", 0.0)


def _tidy_address(value: str) -> str:
    value = value.strip(" ，,。.")
    if re.search(r"[\u4e00-\u9fff]", value):
        return re.sub(r"\s+", "", value)
    return " ".join(value.split())


# --- amounts, e-mail --------------------------------------------------------------------

_AMOUNT = re.compile(
    r"(?:¥|￥|RMB|CNY|人民币)\s*(\d[\d,]*(?:\.\d{1,2})?)"
    r"|(\d[\d,]*(?:\.\d{1,2})?)\s*(?:元|块钱|RMB|yuan)",
    re.IGNORECASE,
)
_ANY_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def find_amounts(text: str) -> tuple[str, ...]:
    """Money amounts (¥/元/RMB), digits only, in order, each once."""
    found: dict[str, None] = {}
    for match in _AMOUNT.finditer(text):
        value = (match.group(1) or match.group(2)).replace(",", "")
        found.setdefault(value, None)
    return tuple(found)


def letter_email(text: str) -> Field:
    """An e-mail address written in the letter (labelled ones first)."""
    labelled = customer_email(text, "")
    if labelled:
        return Field(labelled, 0.9)
    found = _ANY_EMAIL.search(text)
    return Field(found.group().rstrip(".").lower(), 0.75) if found else Field("", 0.0)


# --- all fields -------------------------------------------------------------------------


def extract_letter_fields(
    text: str,
    *,
    ocr_confidence: float = 1.0,
    region: str = "CN",
    order_pattern: str = DEFAULT_ORDER_PATTERN,
    from_address: str = "",
) -> LetterFields:
    """All record-form fields of one letter; confidences are scaled by OCR's.

    Phone numbers are read in the writer's region: the country or postcode of the
    letter's address, the sender's domain when it came by mail, the language; a
    number whose country stays unclear is kept as written, with a weak confidence.
    """
    text = join_broken_orders(text[:MAX_TEXT].replace("\u3000", " "), order_pattern)
    folded = fold_fullwidth(text)
    lines = [line.strip() for line in folded.splitlines() if line.strip()]
    scale = max(0.0, min(1.0, ocr_confidence))
    language = detect_language(text)
    found_address = address(lines)
    context = phone_context(
        from_address=from_address,
        address_text="\n".join([found_address.value, *lines[:6], *lines[-8:]]),
        text=text,
        language=language,
        fallback=region,
    )
    # OCR glues words to numbers ("5678or"); a phone must stand apart from letters.
    reading = read_phones(
        re.sub(r"(?<=\d)(?=[A-Za-z])|(?<=[A-Za-z])(?=\d)", " ", text), context
    )
    phones = reading.phones
    phone_confidence = 0.5 if reading.numbers and reading.numbers[0].unsure else (
        0.9 if len(phones) == 1 else 0.7
    )
    # "My name is Peter Wong. On 2026-…": a name ends at its sentence.
    name = re.split(r"\.\s", customer_name(text, ""))[0]
    original = [line.strip() for line in text.splitlines() if line.strip()]
    body = "\n".join(original[1:] if lines and letter_date(lines[:1]).value else original)
    happened = what_happened(body, name)
    happened = _without_contact_lines(happened)

    def scaled(found: Field) -> Field:
        return Field(found.value, round(found.confidence * scale, 3))

    return LetterFields(
        language=language,
        name=scaled(Field(name, 0.8 if name else 0.0)),
        address=scaled(found_address),
        phone=scaled(Field(reading.best, phone_confidence)),
        email=scaled(letter_email(folded)),
        letter_date=scaled(letter_date(lines)),
        what_happened=scaled(Field(happened, 0.8 if happened else 0.0)),
        phones=phones,
        orders=find_order_numbers(text, order_pattern, reading.candidates),
        amounts=find_amounts(folded),
        demands=find_demands(text),
        summary=summarise("", happened, language),
        phone_written=reading.best_written,
        phones_unsure=reading.unsure,
        phone_candidates=reading.candidates,
    )


# An order number's head at a line's end ("HW20261") and its digits on the next line.
_BROKEN_ORDER = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{0,4}-?\d{2,})[ \t]*\r?\n[ \t]*(\d{2,})(?![A-Za-z0-9])"
)


def join_broken_orders(text: str, pattern: str = DEFAULT_ORDER_PATTERN) -> str:
    """Join an order number a line break cut in two ("HW20261" / "008114").

    Only when the joined value is an order number and the head alone is not, and the
    tail is a whole digit run that is not itself a phone number: a phone number on
    the next line is never glued to the line above. (Phone numbers across lines are
    joined by the phone reader.)
    """
    rx = re.compile(pattern, re.ASCII)

    def join(found: re.Match[str]) -> str:
        head, tail = found.group(1), found.group(2)
        joined = head + tail
        if rx.fullmatch(joined) and not rx.fullmatch(head) and not find_phones(tail):
            return joined
        return found.group()

    return _BROKEN_ORDER.sub(join, text)


def _without_contact_lines(happened: str) -> str:
    """Drop trailing address lines a signature block leaves after the name was cut."""
    lines = happened.split("\n")
    while lines and (address([lines[-1]]).value or _ZH_LABEL.search(lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()
