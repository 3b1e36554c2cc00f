"""The status-page paragraph every customer letter carries, in one wording.

Mail templates include ``_status_link.<lang>.txt.j2`` (and the HTML layout shows the
same); letters assembled in Python (the written notice, the printed acknowledgment,
the notice's covering mail) take the paragraph from the same template through
:func:`status_paragraph`, so the wording lives in one place per language.
"""

from __future__ import annotations

from letters.formatting import clean_line
from letters.render import render_template


def status_paragraph(language: str, status_url: str) -> str:
    """The paragraph with the customer's personal link, or "" when there is no link."""
    url = clean_line(status_url, limit=300)
    if not url:
        return ""
    lang = "zh" if language == "zh" else "en"
    return render_template(f"_status_link.{lang}.txt.j2", {"status_url": url}).strip()
