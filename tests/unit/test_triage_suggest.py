"""Intake's suggestions for category, severity, product and quantity (issue 13)."""

from __future__ import annotations

import pytest

from config.products import BUILT_IN as PRODUCTS
from config.products import catalogue_label, read_products
from config.triage import BUILT_IN as TRIAGE
from config.triage import read_triage
from pipeline.routing.suggest import RoutingModel
from pipeline.triage.quantity import read_quantity
from pipeline.triage.suggest import suggest_fields

TRIAGE_RULES = read_triage(TRIAGE)
CATALOGUE = read_products(PRODUCTS)


def _suggest(text: str, model: RoutingModel | None = None):  # type: ignore[no-untyped-def]
    return suggest_fields(text, triage=TRIAGE_RULES, products=CATALOGUE, model=model)


@pytest.mark.parametrize("text", [
    "热水壶插上电就冒烟了", "电饭煲漏电，孩子被电了一下说触电", "The heater caught fire last night",
    "I got an electric shock from the kettle", "烧水时把手烫伤了", "My son suffered an injury",
])
def test_safety_words_make_a_complaint_high(text: str) -> None:
    found = _suggest(text).severity
    assert found is not None and found.value == "high" and found.source == "rules"


def test_without_a_safety_word_normal_severity_is_suggested() -> None:
    found = _suggest("The parcel arrived two weeks late").severity
    assert found is not None and found.value == "normal" and "No safety" in found.reason_en


def test_the_first_rule_wins_so_an_explosion_is_critical_even_with_smoke() -> None:
    found = _suggest("The kettle exploded and there was smoke everywhere").severity
    assert found is not None and found.value == "critical"


def test_a_word_inside_another_word_is_not_a_safety_word() -> None:
    found = _suggest("I was shocked by the price of the firewall service").severity
    assert found is not None and found.value == "normal"


def test_category_from_keywords_names_the_words() -> None:
    found = _suggest("快递一直没收到，物流信息也不更新").category
    assert found is not None and found.value == "logistics" and found.source == "keywords"
    assert "快递" in found.reason_zh and '"快递"' in found.reason_en


def test_product_from_an_alias_in_either_language_is_written_the_catalogue_way() -> None:
    zh, en = _suggest("我买的电水壶坏了").product, _suggest("My rice cooker is broken").product
    assert zh is not None and zh.value == "电热水壶 K1 / Electric kettle K1"
    assert en is not None and en.value == "电饭煲 R5 / Rice cooker R5"


def test_no_product_named_no_product_suggested() -> None:
    assert _suggest("Your service is slow").product is None


@pytest.mark.parametrize(("text", "expected"), [
    ("我买了2台取暖器，都坏了", 2), ("I ordered 3 units and all leak", 3),
    ("收到两箱，全是碎的", 2), ("Please replace the 5 pcs", 5),
])
def test_a_plainly_stated_count_is_read(text: str, expected: int) -> None:
    assert read_quantity(text) == expected


@pytest.mark.parametrize("text", [
    "用了2个月就坏了", "等了3个小时客服", "Order 12345678 arrived", "买了2台，又退了1台",
    "It broke after 2 days", "", "又一个问题", "有三个问题想反映", "买了一台电视",
])
def test_no_count_or_two_counts_leave_the_quantity_empty(text: str) -> None:
    assert read_quantity(text) is None


def test_the_classifier_trained_by_routing_suggests_the_category_of_its_department() -> None:
    samples = ([("包裹丢了 快递员态度差", "logistics")] * 20
               + [("水壶漏水 质量太差", "quality")] * 20)
    model = RoutingModel.train(samples)
    found = _suggest("包裹丢了", model).category
    assert found is not None and found.value == "logistics" and found.source == "classifier"


def test_staff_may_type_a_product_by_key_or_alias() -> None:
    assert catalogue_label(CATALOGUE, "kettle-k1") == "电热水壶 K1 / Electric kettle K1"
    assert catalogue_label(CATALOGUE, "电饭锅") == "电饭煲 R5 / Rice cooker R5"
    assert catalogue_label(CATALOGUE, " Toaster T9 ") == "Toaster T9"


def test_the_suggestions_import_no_workflow_package() -> None:
    """The one function that opens cases (pipeline/cases) may call the intake hook."""
    from tests.unit.test_package_layers import package_imports

    graph = package_imports()
    workflow = {"intake", "scans", "resolution", "review", "cases", "outbound"}
    assert not (graph.get("triage", set()) | graph.get("routing", set())) & workflow
