"""Every kind of printed letter, with sample values for ``complaints letters preview``.

Adding a kind (deadline, resolution notice, not ours, …) means adding one entry that
builds its :class:`LetterContent` from sample values; the preview command, the print
queue and the tests pick it up from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from letters.pdf.acknowledgment import PostalAck, acknowledgment_content
from letters.pdf.letter import LetterContent


@dataclass(frozen=True)
class LetterKind:
    name: str
    description: str
    sample: Callable[[str], LetterContent]  # language -> content with sample values


def _sample_ack(language: str) -> LetterContent:
    zh = language == "zh"
    return acknowledgment_content(
        PostalAck(
            reference="CP-2026-000123",
            language=language,
            customer_name="王建国" if zh else "Mary <b>Jones</b> & Co",
            address="浙江省杭州市西湖区文三路88号3单元502室"
            if zh
            else "12 Garden Road, Flat 4, Hong Kong",
            letter_date="2026-11-20",
            received_at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
            phone_on_file="",
            review_days=2,
            company_name="Example Co. 示例公司",
            company_address="上海市浦东新区世纪大道1号 / 1 Century Avenue, Shanghai",
            service_phone="400-000-0000",
            time_zone="Asia/Shanghai",
        )
    )


KINDS: dict[str, LetterKind] = {
    "acknowledgment": LetterKind(
        name="acknowledgment",
        description="We received your letter; please give us a phone number.",
        sample=_sample_ack,
    ),
}
