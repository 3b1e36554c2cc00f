"""The written-resolution notice (书面处理结果通知): our answer, point by point.

The process requires the customer to be told *in writing* the result and how it was
reached, with an answer to every point they raised. This letter is that record: it is
archived unchanged with the case and sent as a PDF attachment (or printed for post).
Each point is printed in the customer's own words, followed by our answer, exactly as
the approved resolution holds them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.platypus import Flowable, KeepTogether

from letters.pdf.layout import LetterFrame, Sender, para, render_letter, styles
from letters.render import render_blocks
from letters.status_link import status_paragraph

METHODS = {
    "zh": {"compensation": "赔偿", "return": "退货", "discount": "折价", "replacement": "换货",
           "repair": "维修", "apology": "致歉", "explanation": "解释说明", "other": "其他"},
    "en": {"compensation": "Compensation", "return": "Return and refund", "discount":
           "Price reduction", "replacement": "Replacement", "repair": "Repair",
           "apology": "Apology", "explanation": "Explanation", "other": "Other"},
}

PLACES = ("name", "received", "reference", "department", "method", "amount", "contact",
          "phone", "company")
"""The values a phrase may show; the layout fills them in (``str.format``) per letter."""
FOOTERS = {"zh": "{reference} · 第 {{page}} 页", "en": "{reference} · page {{page}}"}
PHRASES = ("title", "reference", "date", "dear", "customer", "intro", "points", "raised",
           "answer", "findings", "decision", "method", "compensation", "next", "agree",
           "contact", "closing", "signature")


def notice_words(language: str) -> dict[str, str]:
    """The notice's phrases from ``letters/templates/notice_letter.LANG.letter.j2``.

    Each ``{% block %}`` is one phrase. Values are rendered as ``{name}`` placeholders
    and filled in by the layout, so the customer's text is never template source and
    a phrase can be checked without a case. A missing phrase raises ``LookupError``.
    """
    lang = "zh" if language == "zh" else "en"
    rendered = render_blocks(f"notice_letter.{lang}.letter.j2",
                             {place: "{" + place + "}" for place in PLACES})
    missing = [key for key in PHRASES if key not in rendered]
    if missing:
        raise LookupError(f"Missing block(s): {', '.join(missing)}")
    words = {key: rendered[key] for key in PHRASES}
    words["footer"] = FOOTERS[lang]
    return words


class _Words(Mapping[str, dict[str, str]]):
    """``WORDS["zh"]``: the phrases as the template has them now (admins may edit them)."""

    def __getitem__(self, language: str) -> dict[str, str]:
        return notice_words(language)

    def __iter__(self) -> Iterator[str]:
        return iter(("zh", "en"))

    def __len__(self) -> int:
        return 2


WORDS = _Words()


@dataclass(frozen=True)
class ResolutionNotice:
    """Everything the notice says, as plain values."""

    reference: str
    language: str  # zh or en
    customer_name: str
    recipient_lines: Sequence[str]  # name and postal address, or name and email
    received: str  # already formatted for the language
    issued: str
    department_name: str  # in the customer's language
    answers: Sequence[tuple[str, str]]  # (point raised, our answer)
    findings: str
    method: str
    compensation_amount: Decimal
    next_steps: str
    contact_person: str
    sender: Sender
    status_url: str = ""  # the customer's status page; "" leaves it out
    # A revised notice: the sentence naming the notice it replaces (letters/disputes.py).
    revises: str = ""


def _story(notice: ResolutionNotice, words: dict[str, str], font: str) -> list[Flowable]:
    s = styles(font)
    language = "zh" if notice.language == "zh" else "en"
    name = notice.customer_name.strip() or words["customer"]
    story: list[Flowable] = [
        para(words["title"], s["title"]),
        *([para(notice.revises, s["heading"])] if notice.revises else []),
        para(words["dear"].format(name=name), s["body"]),
        para(words["intro"].format(received=notice.received, reference=notice.reference,
                                   department=notice.department_name), s["body"]),
        para(words["points"], s["heading"]),
    ]
    for number, (point, answer) in enumerate(notice.answers, start=1):
        story.append(KeepTogether([
            para(f"{number}. {words['raised']}{point}", s["point"]),
            para(f"{words['answer']}{answer}", s["answer"]),
        ]))
    story += [para(words["findings"], s["heading"]), para(notice.findings, s["body"]),
              para(words["decision"], s["heading"]),
              para(words["method"].format(method=METHODS[language].get(notice.method,
                                                                       notice.method)), s["body"])]
    if notice.compensation_amount > 0:
        story.append(para(words["compensation"].format(amount=f"{notice.compensation_amount:,.2f}"),
                          s["body"]))
    if notice.next_steps.strip():
        story += [para(words["next"], s["heading"]), para(notice.next_steps, s["body"])]
    story += [para(words["agree"], s["body"])]
    if notice.contact_person.strip():
        story.append(para(words["contact"].format(contact=notice.contact_person,
                                                  phone=notice.sender.phone), s["body"]))
    story += [para(line, s["body"]) for line in
              status_paragraph(language, notice.status_url).split("\n") if line]
    story += [para(words["closing"], s["body"]),
              para(words["signature"].format(company=notice.sender.company), s["body"])]
    return story


def render_resolution_notice(notice: ResolutionNotice, *, font: str) -> bytes:
    """The notice as PDF bytes, in the customer's language."""
    words = notice_words(notice.language)
    frame = LetterFrame(
        sender=notice.sender, recipient_lines=notice.recipient_lines,
        reference_label=words["reference"], reference=notice.reference,
        date_label=words["date"], date=notice.issued,
        title=f"{words['title']} {notice.reference}",
        footer=words["footer"].format(reference=notice.reference),
    )
    return render_letter(frame, _story(notice, words, font), font=font)

