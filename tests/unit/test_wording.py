"""All wording lives in letters/ (issue 12): nothing a customer or a department reads is
written inline in pipeline/, every template renders with the samples, and an admin's
template text runs in a sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError

from letters.render import capture, render_template, template_names, trial
from letters.samples import TemplateCheckError, check_template, render_all

ROOT = Path(__file__).resolve().parents[2]
MOVED = (
    # pipeline/resolution/notices.py MAIL_TEXT, the notice's covering mail
    "书面处理结果见附件", "Please find attached (PDF) our written answer",
    # pipeline/review/routing.py, the department notice
    "A complaint has been routed to", "一件客户投诉已由",
    # pipeline/resolution/timed.py, the reminder and the escalation
    "was promised our answer by", "我们承诺客户在", "and is not resolved", "目前仍未解决",
    # pipeline/staff/reset_mail.py
    "Choose a new password here", "仅可使用一次",
)
SUBJECTS = ("我们已收到您的投诉", "We have received your complaint", "关于您投诉的答复",
            "How did we handle your complaint?", "Our written answer to your complaint",
            "已超过处理期限", "Reset your console password", "We have received your letter",
            "您的投诉处理期限已调整为")
MOVED_FROM_PDF = (  # letters/pdf/acknowledgment.py, the postal acknowledgment's f-strings
    "您信中留下的电话是", "does not give a phone number we can use", "Thank you for your letter",
    "今后与我们联系时",
)


def _sources(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.py")))


def test_no_customer_or_department_sentence_remains_inline_in_pipeline() -> None:
    pipeline, workers = _sources(ROOT / "pipeline"), _sources(ROOT / "workers")
    templates = "\n".join(p.read_text(encoding="utf-8")
                          for p in (ROOT / "letters" / "templates").iterdir())
    for sentence in MOVED:
        assert sentence not in pipeline and sentence not in workers, sentence
        assert sentence in templates, sentence
    printed = (ROOT / "letters" / "pdf" / "acknowledgment.py").read_text(encoding="utf-8")
    for sentence in MOVED_FROM_PDF:
        assert sentence not in printed and sentence in templates, sentence
    assert "MAIL_TEXT" not in pipeline
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "letters").rglob("*.py"))
                     if p.name not in ("samples.py", "previews.py"))
    for subject in SUBJECTS:  # were dicts in letters/*.py; now *.subject.j2 admins can edit
        assert subject not in code and subject not in pipeline, subject
        assert subject in templates, subject


def test_every_template_is_rendered_by_the_samples() -> None:
    with capture() as seen:
        samples = render_all()
    rendered = {name for name, _ in seen}
    partials = {n for n in template_names() if n.startswith("_")}
    assert set(template_names()) - partials <= rendered
    assert all(s.subject and s.text.strip() for s in samples)


@pytest.mark.parametrize("body, reason", [
    ("Dear {{ name }", "Line 1"),  # not valid Jinja
    ("{% if phone %}no end", "Line 1"),
    ("Dear {{ customer_title }}", "UndefinedError"),  # a value the letter does not have
    ("{{ reference.__class__.__mro__[1].__subclasses__() }}", "SecurityError"),
    ("   \n", "empty"),
])
def test_a_template_that_does_not_render_is_refused(body: str, reason: str) -> None:
    with pytest.raises(TemplateCheckError, match=reason):
        check_template("acknowledgment.en.txt.j2", body)


def test_the_sandbox_refuses_unsafe_attribute_access() -> None:
    hostile = "{{ company.__class__.__base__.__subclasses__() }}"
    with trial("acknowledgment.en.txt.j2", hostile), pytest.raises(SecurityError):
        render_template("acknowledgment.en.txt.j2", {"company": "Example Co."})
    with trial("survey.en.html.j2", "{{ ''.__class__ }}"), pytest.raises(SecurityError):
        render_template("survey.en.html.j2", {})


def test_html_templates_escape_values_and_text_templates_do_not() -> None:
    body = "<p>{{ company }}</p>"
    with trial("neutral_ack.html.j2", body):
        html = render_template("neutral_ack.html.j2", {"company": "<b>A&B</b>"})
    assert html == "<p>&lt;b&gt;A&amp;B&lt;/b&gt;</p>"
    with trial("neutral_ack.txt.j2", "{{ company }}"):
        assert render_template("neutral_ack.txt.j2", {"company": "<b>A&B</b>"}) == "<b>A&B</b>"


def test_a_draft_partial_is_seen_by_the_letters_including_it_after_they_were_compiled(
) -> None:
    """GIVEN the acknowledgment rendered (and compiled) with the shipped status-link
    partial WHEN a draft of that partial is tried THEN the acknowledgment includes the
    draft; afterwards the shipped text again; a broken draft of the partial is refused.
    (Compiled code is shared between environments by source checksum.)"""
    context = {name: "x" for name in ("reference", "company", "name")}
    samples = [s for s in render_all() if "personal page" in s.text]
    assert samples, "a sample letter includes the status link"
    with trial("_status_link.en.txt.j2", "DRAFT LINK {{ status_url }}"):
        drafted = [s.text for s in render_all()]
    assert any("DRAFT LINK" in text for text in drafted)
    assert not any("DRAFT LINK" in s.text for s in render_all())
    with pytest.raises(TemplateCheckError):
        check_template("_status_link.en.txt.j2", "{{ status_url | no_such_filter }}")
    with trial("acknowledgment.en.txt.j2", "{{ reference }}"):
        assert render_template("acknowledgment.en.txt.j2", context) == "x"
    assert any("Thank you for contacting" in s.text for s in render_all())


def test_a_good_edit_passes_and_the_shipped_templates_pass() -> None:
    check_template("acknowledgment.en.txt.j2", "Dear {{ name or 'customer' }}: {{ reference }}")
    for name in template_names():
        check_template(name, (ROOT / "letters" / "templates" / name).read_text("utf-8"))


def test_the_notice_phrases_are_a_template_and_a_missing_phrase_is_refused() -> None:
    from letters.pdf.resolution_notice import WORDS, notice_words

    shipped = (ROOT / "letters" / "templates" / "notice_letter.en.letter.j2").read_text("utf-8")
    assert WORDS["en"]["dear"] == "Dear {name}," and WORDS["zh"]["title"] == "投诉处理结果书面通知"
    edited = shipped.replace("Written notice of the resolution of your complaint",
                             "Our answer, in writing")
    check_template("notice_letter.en.letter.j2", edited)
    with trial("notice_letter.en.letter.j2", edited):
        assert notice_words("en")["title"] == "Our answer, in writing"
    without = shipped.replace("{% block agree %}", "{% block agreed %}")
    with pytest.raises(TemplateCheckError, match="Missing block"):
        check_template("notice_letter.en.letter.j2", without)
    with pytest.raises(TemplateCheckError, match="KeyError"):  # a stray {x} in a phrase
        check_template("notice_letter.en.letter.j2", shipped.replace("Dear {{", "Dear {x} {{"))


def test_subjects_are_templates_and_keep_the_reference() -> None:
    check_template("acknowledgment.en.subject.j2", "[{{ reference }}] Thank you for writing")
    with pytest.raises(TemplateCheckError, match="case reference"):
        check_template("acknowledgment.en.subject.j2", "Thank you for writing")
    check_template("password_reset.subject.j2", "New password")  # names no case
    with trial("survey.zh.subject.j2", "[{{ reference }}]\n  请评价\n"):
        assert render_template("survey.zh.subject.j2", {"reference": "CP-1"}) == (
            "[CP-1]\n  请评价\n")
    from letters.render import render_subject

    with trial("survey.zh.subject.j2", "[{{ reference }}]\n  请评价\n"):
        assert render_subject("survey.zh.subject.j2", {"reference": "CP-1"}) == "[CP-1] 请评价"
