"""The printed acknowledgment: we received your letter, here is your reference, please
give us a phone number. Sent by post when a letter gives no e-mail address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from letters.acknowledgment import letter_language, salutation_name
from letters.formatting import clean_line, format_date, local_time, shown_phone
from letters.pdf.layout import Sender
from letters.pdf.letter import LetterContent
from letters.status_link import status_paragraph


@dataclass(frozen=True)
class PostalAck:
    """What the printed acknowledgment says, as plain values."""

    reference: str
    language: str
    customer_name: str
    address: str  # lines separated by "\n" or ", "
    letter_date: str  # ISO date written on the customer's letter, or ""
    received_at: datetime
    phone_on_file: str
    review_days: int
    company_name: str
    company_address: str
    service_phone: str
    time_zone: str = ""
    phone_written: str = ""  # the number as the customer wrote it
    # False for a complaint taken on the phone or at the counter: we thank them for
    # the complaint we recorded, not for a letter they never wrote.
    by_letter: bool = True
    status_url: str = ""  # the customer's status page; "" leaves it out


def recipient_lines(name: str, address: str) -> tuple[str, ...]:
    """Name, then the address split into at most five window lines."""
    parts = [p.strip() for p in address.replace("\n", ",").split(",") if p.strip()]
    if len(parts) == 1 and len(parts[0]) > 24:  # a Chinese address: one long line
        text = parts[0]
        parts = [text[i : i + 24] for i in range(0, len(text), 24)]
    return tuple(line for line in (clean_line(name, limit=60), *parts[:5]) if line)


def acknowledgment_content(ack: PostalAck) -> LetterContent:
    language = letter_language(ack.language)
    name = salutation_name(ack.customer_name)
    received = format_date(local_time(ack.received_at, ack.time_zone), language)
    today = format_date(local_time(datetime.now(ack.received_at.tzinfo), ack.time_zone), language)
    phone = shown_phone(ack.phone_on_file, ack.phone_written)
    company = clean_line(ack.company_name)
    sender = Sender(company=company, department="", address=clean_line(ack.company_address),
                    phone=clean_line(ack.service_phone, limit=40), email="")
    if language == "zh":
        where, what = ("信中", "来信") if ack.by_letter else ("", "投诉")
        phone_text = (
            f"您{where}留下的电话是 {phone}。如号码有误或希望我们拨打其他号码，请来电告知。"
            if phone
            else f"您的{what}中没有可用的联系电话。为了尽快与您联系处理，请致电我们的客服热线"
            f" {ack.service_phone}，或回信告知您的联系电话，并注明上述案件编号。"
        )
        written = f"（落款日期 {ack.letter_date}）" if ack.letter_date else ""
        opening = (f"您好！我们已于{received}收到您的投诉来信{written}，" if ack.by_letter
                   else f"您好！我们已于{received}受理您的投诉，")
        return LetterContent(
            language="zh",
            sender=sender,
            recipient=recipient_lines(name, ack.address),
            reference_label="案件编号",
            reference=ack.reference,
            date_label="日期",
            date=today,
            subject="我们已收到您的来信" if ack.by_letter else "我们已受理您的投诉",
            salutation=f"尊敬的{name}：" if name else "尊敬的客户：",
            paragraphs=(
                f"{opening}"
                f"并已登记为案件 {ack.reference}。我们非常重视您反映的问题，"
                f"将在 {max(1, ack.review_days)} 个工作日内完成初步核查。",
                phone_text,
                "今后与我们联系时，请提供上述案件编号，以便我们尽快查到您的案件。",
                *_status(ack, "zh"),
            ),
            closing="此致\n敬礼",
            signature=f"{company} 客户服务部",
        )
    yours = "Your letter" if ack.by_letter else "Your complaint"
    phone_text = (
        f"{yours} gives the phone number {phone}. If it is wrong, or you prefer another"
        " number, please call us to tell us."
        if phone
        else f"{yours} does not give a phone number we can use. So that we can reach you"
        f" quickly, please call our service line {ack.service_phone} or write back with your"
        " phone number, quoting the reference above."
    )
    written = f" dated {ack.letter_date}" if ack.letter_date else ""
    return LetterContent(
        language="en",
        sender=sender,
        recipient=recipient_lines(name, ack.address),
        reference_label="Reference",
        reference=ack.reference,
        date_label="Date",
        date=today,
        subject="We have received your letter" if ack.by_letter
        else "We have recorded your complaint",
        salutation=f"Dear {name}," if name else "Dear customer,",
        paragraphs=(
            (f"Thank you for your letter{written}, which we received on {received}. We have"
             if ack.by_letter else
             f"Thank you for telling us about your complaint, which we recorded on {received}."
             " We have")
            + f" opened case {ack.reference} for it and will complete a first review within"
            f" {max(1, ack.review_days)} working days.",
            phone_text,
            "Please quote the reference above whenever you contact us.",
            *_status(ack, "en"),
        ),
        closing="Yours sincerely,",
        signature=f"Customer Service, {company}",
    )


def _status(ack: PostalAck, language: str) -> tuple[str, ...]:
    """The status-page paragraph, one printed paragraph per line (none without a link)."""
    return tuple(line for line in status_paragraph(language, ack.status_url).split("\n")
                 if line)
