"""Suggest the department for a case, and measure how often staff agree.

Two sources, in order of trust:

* a **classifier trained on staff's own past routing decisions**, once there are enough
  of them (``MIN_TRAINING_SAMPLES``): it learns the company's real habits, which no
  keyword list captures. Features are character n-grams (1–3 characters within word
  boundaries), which need no Chinese word segmentation yet still pick up words such as
  "漏水" or "delivery";
* **keyword rules** from the departments file, which work from the first day.

The module is pure (text in, suggestion out) so the console, the CLI and tests share it
and a benchmark can train it without a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from config.departments import Department, department_by_key

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MIN_TRAINING_SAMPLES = 30
"""Below this many routed cases the classifier has seen too little to beat the rules."""

MIN_CLASSIFIER_CONFIDENCE = 0.45
"""A learned guess less sure than this gives way to the keyword rules."""

MAX_TEXT_CHARS = 1000
"""The start of a complaint says what it is about; long mails only slow training."""


@dataclass(frozen=True)
class Suggestion:
    """A suggested department with the reason shown to staff in both languages."""

    department: str
    source: str  # "keywords" | "classifier"
    confidence: float
    reason_en: str
    reason_zh: str


def case_text(subject: str, what_happened: str, demands: Sequence[str]) -> str:
    """The text of a case that routing looks at, the same for training and suggesting."""
    return "\n".join([subject, what_happened, " ".join(demands)])[:MAX_TEXT_CHARS]


class RoutingModel:
    """A character n-gram classifier of case text into department keys."""

    def __init__(self, pipeline: Pipeline | None, only_class: str | None, sample_count: int):
        self._pipeline = pipeline
        self._only_class = only_class
        self.sample_count = sample_count

    @classmethod
    def train(cls, samples: Sequence[tuple[str, str]]) -> RoutingModel:
        """Learn from (case text, department key) pairs of past routing decisions.

        scikit-learn is imported here, not with the module: it takes most of a second,
        and every ``complaints`` command and the poller load this module without training.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        labels = sorted({label for _, label in samples})
        if len(labels) < 2:
            # One department only: nothing to tell apart, every guess is that one.
            return cls(None, labels[0] if labels else None, len(samples))
        pipeline = make_pipeline(
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 3), lowercase=True, sublinear_tf=True,
                min_df=1, max_features=200_000,
            ),
            LogisticRegression(max_iter=1000, C=10.0),
        )
        pipeline.fit([text[:MAX_TEXT_CHARS] for text, _ in samples], [lab for _, lab in samples])
        return cls(pipeline, None, len(samples))

    def predict(self, text: str) -> tuple[str, float] | None:
        """The most likely department key and its probability, or None if untrained."""
        if self._pipeline is None:
            return (self._only_class, 1.0) if self._only_class else None
        probabilities = self._pipeline.predict_proba([text[:MAX_TEXT_CHARS]])[0]
        best = int(probabilities.argmax())
        return str(self._pipeline.classes_[best]), float(probabilities[best])


def word_found(keyword: str, lowered: str) -> bool:
    """Whether a lower-case keyword occurs in lower-case text (whole words for Latin)."""
    # Latin words must match whole words ("late" is not in "translated"); Chinese has no
    # spaces between words, so there a keyword matches anywhere. Most keywords are not
    # in a given text at all: the plain search says so for a fraction of the regular
    # expression's cost (every complaint is checked against every keyword list).
    if keyword not in lowered:
        return False
    if keyword.isascii():
        return _whole_word(keyword).search(lowered) is not None
    return True


@lru_cache(maxsize=4096)
def _whole_word(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])")


def keyword_hits(text: str, department: Department) -> list[str]:
    """The department's keywords found in the text, in the file's order."""
    lowered = text.lower()
    return [keyword for keyword in department.keywords if word_found(keyword, lowered)]


def _quoted(words: Sequence[str], *, chinese: bool) -> str:
    if chinese:
        return "、".join(f"“{w}”" for w in words)
    return ", ".join(f'"{w}"' for w in words)


def suggest_by_keywords(text: str, departments: Sequence[Department]) -> Suggestion | None:
    """The department whose keywords occur most often; ties go to the file's order."""
    scored = [(len(hits), index, dept, hits) for index, dept in enumerate(departments)
              if (hits := keyword_hits(text, dept))]
    if not scored:
        return None
    count, _, department, hits = max(scored, key=lambda item: (item[0], -item[1]))
    total = sum(item[0] for item in scored)
    shown = hits[:4]
    return Suggestion(
        department=department.key,
        source="keywords",
        confidence=round(count / total, 2),
        reason_en=f"Mentions {_quoted(shown, chinese=False)}",
        reason_zh=f"提到{_quoted(shown, chinese=True)}",
    )


def suggest_for_mailbox(
    department_key: str, mailbox: str, departments: Sequence[Department]
) -> Suggestion | None:
    """The default department of the mailbox a complaint came in by, when it names one.

    A company that runs one address per department or brand has already routed the
    complaint by the address the customer chose: that beats any guess from the text.
    """
    department = department_by_key(departments, department_key) if department_key else None
    if department is None:
        return None
    return Suggestion(
        department=department.key,
        source="mailbox",
        confidence=1.0,
        reason_en=f"Sent to the {mailbox} mailbox, whose complaints go to {department.name_en}",
        reason_zh=f"发送至“{mailbox}”邮箱，该邮箱的投诉由{department.name_zh}处理",
    )


def suggest(
    text: str,
    departments: Sequence[Department],
    model: RoutingModel | None,
    mailbox: tuple[str, str] | None = None,
) -> Suggestion | None:
    """The best suggestion for this text: the learned one when sure enough, else rules.

    ``mailbox`` is (mailbox key, its default department): a default department is the
    suggestion, ahead of the classifier and the keywords.
    """
    if mailbox is not None:
        by_mailbox = suggest_for_mailbox(mailbox[1], mailbox[0], departments)
        if by_mailbox is not None:
            return by_mailbox
    if model is not None and model.sample_count >= MIN_TRAINING_SAMPLES:
        predicted = model.predict(text)
        if predicted is not None:
            key, probability = predicted
            department = department_by_key(departments, key)
            if department is not None and probability >= MIN_CLASSIFIER_CONFIDENCE:
                percent = round(probability * 100)
                return Suggestion(
                    department=key,
                    source="classifier",
                    confidence=round(probability, 2),
                    reason_en=(
                        f"Similar past complaints went to {department.name_en} ({percent}% sure)"
                    ),
                    reason_zh=f"类似的投诉以往由{department.name_zh}处理（把握 {percent}%）",
                )
    return suggest_by_keywords(text, departments)


@dataclass(frozen=True)
class Acceptance:
    """How many routing decisions had a suggestion, and how many followed it."""

    suggested: int
    accepted: int
    rate: float | None


def acceptance(decisions: Iterable[tuple[str | None, str]]) -> Acceptance:
    """Count (suggested key or None, chosen key) pairs; the rate is None with no suggestions."""
    suggested = accepted = 0
    for suggested_key, chosen in decisions:
        if suggested_key is None:
            continue
        suggested += 1
        accepted += suggested_key == chosen
    return Acceptance(suggested, accepted, round(accepted / suggested, 3) if suggested else None)
