"""The mail that carries the written-resolution notice (the PDF is attached to it).

Short on purpose: the notice itself is the record, so the mail only says what is
attached and how to agree or object.
"""

from __future__ import annotations

from letters.acknowledgment import RenderedMail, letter_language, salutation_name
from letters.formatting import clean_line
from letters.render import render_subject, render_template
from letters.status_link import status_paragraph


def render_notice_mail(*, reference: str, language: str, customer_name: str,
                       company_name: str, status_url: str = "",
                       revises: str = "") -> RenderedMail:
    """The covering mail of the notice, in the customer's language (plain text only).

    ``revises`` is the sentence naming the notice a revised one replaces (a dispute);
    ``status_url`` the customer's status page, "" to leave it out.
    """
    lang = letter_language(language)
    context = {"reference": clean_line(reference, limit=64),
               "name": salutation_name(customer_name), "company": clean_line(company_name),
               "revises": revises.strip(), "status": status_paragraph(lang, status_url)}
    text = render_template(f"resolution_notice.{lang}.txt.j2", context)
    return RenderedMail(render_subject(f"resolution_notice.{lang}.subject.j2", context), text,
                        None)
