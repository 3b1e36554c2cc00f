"""The short notice to staff that a customer wrote again on an open case.

Staff read both languages, so the notice carries both. It repeats only the reference,
the case's subject and status and the console link: the customer's mail itself stays
behind the console's sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from letters.formatting import clean_line
from letters.render import render_subject, render_template


@dataclass(frozen=True)
class CustomerWroteNotice:
    """What the staff notice says."""

    reference: str
    subject: str
    link: str
    status_en: str
    status_zh: str
    department_en: str = ""
    department_zh: str = ""


def render_customer_wrote(notice: CustomerWroteNotice) -> tuple[str, str]:
    """The notice's subject and plain text."""
    reference = clean_line(notice.reference, limit=64)
    subject = clean_line(notice.subject, limit=150)
    text = render_template("customer_wrote.txt.j2", {
        "reference": reference, "subject": subject, "link": notice.link,
        "status_en": notice.status_en, "status_zh": notice.status_zh,
        "department": bool(notice.department_en or notice.department_zh),
        "department_en": clean_line(notice.department_en),
        "department_zh": clean_line(notice.department_zh),
    })
    return render_subject("customer_wrote.subject.j2",
                          {"reference": reference, "subject": subject}), text
