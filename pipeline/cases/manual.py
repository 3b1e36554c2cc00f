"""A complaint taken by hand: on the phone, at the counter, from a letter not scanned.

The procedure records every complaint on the same form, whatever the channel. Staff
type the customer's contact data and the customer's own words; the words are read
with the same readers as mail (order numbers, demands, language, what happened), so
the case looks like any other in review. The acknowledgment follows the one rule of
:func:`open_case`: email if an address was given, else a printed letter to the
postal address, else the member of staff acknowledged it there and then (verbal).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from config.settings import Settings
from letters.compose import is_sendable_address
from pipeline.cases.customer_addresses import normalise_address
from pipeline.cases.from_mail import attention, phone_note
from pipeline.cases.opening import CaseDraft, FirstMessage, OpenedCase, open_case
from pipeline.db.base import utcnow
from pipeline.mail.message import ExtractedFields
from pipeline.text.extract import extract_fields
from pipeline.text.phone_reading import PhoneReading, read_phones
from pipeline.text.regions import phone_context

MANUAL_CHANNELS = ("phone", "visit", "letter", "other")
LANGUAGES = ("zh", "en")
MAX_TEXT = 20_000

SUBJECTS = {
    "phone": ("电话投诉", "Complaint by phone"),
    "visit": ("现场投诉", "Complaint in person"),
    "letter": ("来信投诉", "Complaint by letter"),
    "other": ("投诉", "Complaint"),
}


class ManualCaseError(ValueError):
    """The form cannot be recorded as it is (message in English and Chinese)."""


@dataclass(frozen=True)
class ManualComplaint:
    """What staff type on the record form."""

    channel: str  # phone / visit / letter / other
    name: str
    text: str  # the customer's words
    by: str  # the member of staff taking it (受理人员)
    phone: str = ""
    email: str = ""
    address: str = ""  # postal address
    language: str = ""  # zh / en; "" reads it from the text


def open_manual_case(
    session: Session, *, complaint: ManualComplaint, settings: Settings
) -> OpenedCase:
    """Check the form, read the words, and open the case (in the caller's transaction)."""
    _check(complaint)
    email = normalise_address(complaint.email)
    fields = extract_fields(
        text=complaint.text,
        subject="",
        from_name=complaint.name,
        from_address=email,
        default_region=settings.phone_region,
        order_pattern=settings.order_number_pattern,
        default_language=complaint.language or "zh",
    )
    language = complaint.language or fields.language
    phone = _given_phone(complaint, email, language, settings) if complaint.phone else None
    return open_case(session, draft=_draft(complaint, fields, phone, email, language),
                     settings=settings)


def _draft(complaint: ManualComplaint, fields: ExtractedFields, phone: PhoneReading | None,
           email: str, language: str) -> CaseDraft:
    now = utcnow()
    zh, en = SUBJECTS[complaint.channel]
    topic = fields.summary[:120]
    subject = (f"{zh}：{topic}" if language == "zh" else f"{en}: {topic}") if topic else (
        zh if language == "zh" else en)
    unsure = phone.unsure if phone is not None else fields.phones_unsure
    candidates = (*(phone.candidates if phone is not None else ()), *fields.phone_candidates)
    return CaseDraft(
        channel=complaint.channel,
        received_at=now,
        language=language,
        message=FirstMessage(kind=complaint.channel, subject=subject, text=complaint.text,
                             at=now),
        customer_name=complaint.name,
        customer_email=email,
        customer_address=complaint.address,
        customer_phone=phone.best if phone is not None else fields.phone,
        customer_phone_written=phone.best_written if phone is not None else fields.phone_written,
        phone_candidates=tuple(dict.fromkeys(candidates)),
        subject=subject,
        what_happened=fields.what_happened or complaint.text[:4000],
        demands=fields.demands,
        order_numbers=fields.order_numbers,
        summary=fields.summary,
        attention=attention(phone_note(unsure)),
        taken_by=complaint.by,
    )


def _given_phone(complaint: ManualComplaint, email: str, language: str,
                 settings: Settings) -> PhoneReading:
    """The number staff typed, read like a number in a mail (E.164 when sure)."""
    context = phone_context(from_address=email, address_text=complaint.address,
                            text=complaint.phone, language=language,
                            fallback=settings.phone_region)
    reading = read_phones(complaint.phone, context)
    if not reading.numbers:
        raise ManualCaseError(f"'{complaint.phone}' is not a phone number."
                              f" “{complaint.phone}”不是电话号码。")
    return reading


def _check(complaint: ManualComplaint) -> None:
    if complaint.channel not in MANUAL_CHANNELS:
        raise ManualCaseError("Channel: choose phone, visit, letter or other."
                              " 渠道：请选择电话、现场、信函或其他。")
    if not complaint.name.strip():
        raise ManualCaseError("Write the customer's name. 请填写客户姓名。")
    if not complaint.text.strip():
        raise ManualCaseError("Write down what the customer said. 请填写客户的投诉内容。")
    if len(complaint.text) > MAX_TEXT:
        raise ManualCaseError(f"The text is longer than {MAX_TEXT} characters."
                              f" 投诉内容超过 {MAX_TEXT} 个字符。")
    if complaint.language and complaint.language not in LANGUAGES:
        raise ManualCaseError("Language: zh or en. 语言：zh 或 en。")
    if complaint.email and not (normalise_address(complaint.email)
                                and is_sendable_address(normalise_address(complaint.email))):
        raise ManualCaseError(f"'{complaint.email}' is not an email address."
                              f" “{complaint.email}”不是有效的邮箱地址。")
    if not complaint.by.strip():
        raise ManualCaseError("Say who recorded it (--by). 请注明受理人员。")
