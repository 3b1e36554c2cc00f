"""The processing form (客户投诉处理单) filled from a case.

It lives beside the case because routing prints it and the resolution archives it
again at closing: neither should import the other for it.
"""

from __future__ import annotations

from datetime import datetime

from config.departments import Department
from letters.pdf.processing_form import ProcessingFormData
from pipeline.db.models import Case


def processing_form(case: Case, *, department: Department | None, routed_by: str,
                    routed_at: datetime | None, opinion: str) -> ProcessingFormData:
    """The processing form's values for a routed case (its closing parts left blank)."""
    return ProcessingFormData(
        reference=case.reference, received_at=case.received_at, channel=case.channel,
        language=case.language, customer_name=case.customer_name,
        customer_phone=case.customer_phone, customer_email=case.customer_email,
        customer_address=case.customer_address, subject=case.subject,
        what_happened=case.what_happened, demands=list(case.demands),
        order_numbers=list(case.order_numbers), responsibility=case.responsibility,
        department_name=f"{department.name_zh} {department.name_en}" if department else "",
        routed_by=routed_by,
        routed_at=routed_at, receiving_staff_opinion=opinion,
    )
