"""Suggest a new case's category, severity, product and quantity from its text.

Pure: text and configuration in, suggestions out, so intake, the console and tests
share it. Each suggestion carries its source and a reason in both languages, because
staff confirm the values in review and must see why they were proposed:

* **category**: the classifier staff train by routing (a complaint like those routed
  to the quality department is a quality complaint), when it is sure enough, else the
  keyword rules of ``config/triage.toml``;
* **severity**: the first severity rule whose words occur (起火, 触电, fire, shock …
  → high); no rule, no suggestion: staff choose;
* **product**: the catalogue product whose name or alias occurs (the longest match);
* **quantity**: only a count the text states plainly (see :mod:`.quantity`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from config.products import Product
from config.triage import Category, Triage
from pipeline.routing.suggest import (
    MIN_CLASSIFIER_CONFIDENCE,
    MIN_TRAINING_SAMPLES,
    RoutingModel,
    word_found,
)
from pipeline.triage.quantity import read_quantity

FIELDS = ("category", "severity", "product", "quantity")


@dataclass(frozen=True)
class FieldSuggestion:
    """One suggested value, where it came from, and why (shown to staff)."""

    value: str | int
    source: str  # keywords / classifier / rules / catalogue / text
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class Suggestions:
    """What intake proposes for the four fields; None where it has nothing to say."""

    category: FieldSuggestion | None = None
    severity: FieldSuggestion | None = None
    product: FieldSuggestion | None = None
    quantity: FieldSuggestion | None = None

    def found(self) -> dict[str, FieldSuggestion]:
        """The fields with a suggestion, by name."""
        return {name: s for name in FIELDS if (s := getattr(self, name)) is not None}

    def to_json(self) -> dict[str, Any]:
        return {name: asdict(s) for name, s in self.found().items()}


def _hits(text: str, words: Sequence[str]) -> list[str]:
    lowered = text.lower()
    return [word for word in words if word_found(word, lowered)]


def _quoted(words: Sequence[str]) -> tuple[str, str]:
    shown = list(words)[:4]
    return ", ".join(f'"{w}"' for w in shown), "、".join(f"“{w}”" for w in shown)


def _by_classifier(text: str, triage: Triage, model: RoutingModel | None) -> FieldSuggestion | None:
    if model is None or model.sample_count < MIN_TRAINING_SAMPLES:
        return None
    predicted = model.predict(text)
    if predicted is None or predicted[1] < MIN_CLASSIFIER_CONFIDENCE:
        return None
    department, probability = predicted
    category = next((c for c in triage.categories if department in c.departments), None)
    if category is None:
        return None
    percent = round(probability * 100)
    return FieldSuggestion(category.key, "classifier",
                           f"Like past complaints of this kind ({percent}% sure)",
                           f"与以往同类投诉相似（把握 {percent}%）")


def _by_keywords(text: str, categories: Sequence[Category]) -> FieldSuggestion | None:
    scored = [(len(hits), -index, category, hits) for index, category in enumerate(categories)
              if (hits := _hits(text, category.keywords))]
    if not scored:
        return None
    _, _, category, hits = max(scored, key=lambda item: (item[0], item[1]))
    en, zh = _quoted(hits)
    return FieldSuggestion(category.key, "keywords", f"Mentions {en}", f"提到{zh}")


def suggest_category(
    text: str, triage: Triage, model: RoutingModel | None
) -> FieldSuggestion | None:
    """The learned category when sure enough, else the one whose keywords occur most."""
    return _by_classifier(text, triage, model) or _by_keywords(text, triage.categories)


def suggest_severity(text: str, triage: Triage) -> FieldSuggestion:
    """The level of the first severity rule whose words occur in the text, else normal.

    Most complaints are of normal severity: suggesting it (marked as a suggestion, with
    the reason) saves staff a choice on every case, while a safety word raises it.
    """
    for rule in triage.severity_rules:
        hits = _hits(text, rule.words)
        if hits:
            en, zh = _quoted(hits)
            return FieldSuggestion(rule.level, "rules", f"Mentions {en}", f"提到{zh}")
    return FieldSuggestion("normal", "rules", "No safety or urgency words",
                           "未提到安全或紧急情况的字眼")


def suggest_product(text: str, products: Sequence[Product]) -> FieldSuggestion | None:
    """The catalogue product named by the longest name or alias found in the text."""
    best: tuple[int, Product, str] | None = None
    lowered = text.lower()
    for product in products:
        for word in product.words():
            if (best is None or len(word) > best[0]) and word_found(word, lowered):
                best = (len(word), product, word)
                break  # words() is longest first: the first hit is this product's best
    if best is None:
        return None
    _, product, word = best
    return FieldSuggestion(product.label, "catalogue", f'Mentions "{word}"', f"提到“{word}”")


def suggest_quantity(text: str) -> FieldSuggestion | None:
    """The item count the text states plainly, if it states exactly one."""
    quantity = read_quantity(text)
    if quantity is None:
        return None
    return FieldSuggestion(quantity, "text", f"The complaint says {quantity}",
                           f"投诉中写明 {quantity}")


def suggest_fields(
    text: str, *, triage: Triage, products: Sequence[Product], model: RoutingModel | None = None,
) -> Suggestions:
    """Every suggestion for one complaint's text (subject, what happened, demands)."""
    return Suggestions(
        category=suggest_category(text, triage, model),
        severity=suggest_severity(text, triage),
        product=suggest_product(text, products),
        quantity=suggest_quantity(text),
    )
