"""The neutral acknowledgment: we got your mail, and nothing more.

It answers mail that names a case but comes from an address not known as that
case's customer. The sender may be the customer writing from another address, or
someone walking references to learn about other people's complaints; the letter is
written for the second. It names no case, no customer, no status and quotes nothing,
and it is in both languages, because choosing one would say which customer it was.
"""

from __future__ import annotations

from letters.acknowledgment import RenderedMail
from letters.formatting import clean_line
from letters.render import render_pair, render_subject


def render_neutral_ack(*, company_name: str, service_phone: str) -> RenderedMail:
    """Render the neutral acknowledgment (Chinese, then English)."""
    context = {
        "reference": "",
        "company": clean_line(company_name),
        "service_phone": clean_line(service_phone, limit=40),
    }
    text, html = render_pair("neutral_ack", context)
    return RenderedMail(render_subject("neutral_ack.subject.j2", context), text, html)
