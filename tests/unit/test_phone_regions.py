"""Phone numbers read in the customer's own region, by mail and by letter, and repeated
to the customer exactly as they wrote them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from letters.acknowledgment import AckLetter, render_acknowledgment
from pipeline.scans.fields import extract_letter_fields
from pipeline.text import phone_reading, phones
from pipeline.text.extract import extract_fields
from pipeline.text.phone_reading import read_phones
from pipeline.text.regions import RegionContext, address_regions, domain_region


@pytest.mark.parametrize(
    ("address", "region"),
    [
        ("jane@mail.co.uk", "GB"),
        ("wong@netvigator.com.hk", "HK"),
        ("lin@hinet.com.tw", "TW"),
        ("tan@singnet.com.sg", "SG"),
        ("joe@town.ny.us", "US"),
        ("someone@gmail.com", ""),
        ("someone@customer.example", ""),
        ("dev@startup.io", ""),
    ],
)
def test_country_code_domains_name_a_region_and_generic_ones_none(
    address: str, region: str
) -> None:
    assert domain_region(address) == region


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("14 Oxford Road\nManchester M1 5QA", ("GB",)),
        ("25 Nathan Road, Kowloon\nHong Kong", ("HK",)),
        ("台北市信義區松仁路 100 號", ("TW",)),
        ("1 Raffles Place\nSingapore 048616", ("SG",)),
        ("350 Fifth Avenue\nNew York, NY 10118", ("US",)),
        ("浙江省杭州市西湖区文三路 88 号", ("CN",)),
        ("I loved the blender at first.", ()),
    ],
)
def test_addresses_name_their_country(text: str, regions: tuple[str, ...]) -> None:
    assert address_regions(text) == regions


MAIL_CASES = [
    # (sender, text, E.164, as written)
    ("jane@mail.co.uk", "The kettle leaks. Please call me on 07700 900461.",
     "+447700900461", "07700 900461"),
    ("jane@gmail.com", "The kettle leaks. Call me on +44 7911 123456.",
     "+447911123456", "+44 7911 123456"),
    ("wong@netvigator.com.hk", "The fan is broken. My mobile is 9123 4567.",
     "+85291234567", "9123 4567"),
    ("wong@gmail.com", "The fan is broken. My mobile is +852 9123 4567.",
     "+85291234567", "+852 9123 4567"),
    ("lin@hinet.com.tw", "電風扇壞了，請退款。我的電話 0912 345 678", "+886912345678",
     "0912 345 678"),
    ("lin@gmail.com", "電風扇壞了，請退款。我的電話 +886 912 345 678", "+886912345678",
     "+886 912 345 678"),
    ("tan@singnet.com.sg", "The rice cooker is broken. Call 8123 4567.", "+6581234567",
     "8123 4567"),
    ("tan@gmail.com", "The rice cooker is broken. Call +65 8123 4567.", "+6581234567",
     "+65 8123 4567"),
    ("joe@town.ny.us", "The toaster burnt out. Call me at (415) 555-2671.", "+14155552671",
     "(415) 555-2671"),
    ("joe@gmail.com", "The toaster burnt out. Call me at +1 415 555 2671.", "+14155552671",
     "+1 415 555 2671"),
    ("zhang@qq.com", "电视屏幕破裂，请换货。我的电话 138 0013 8000", "+8613800138000",
     "138 0013 8000"),
]


@pytest.mark.parametrize(("sender", "text", "e164", "written"), MAIL_CASES)
def test_mail_phone_read_in_the_customers_region(
    sender: str, text: str, e164: str, written: str
) -> None:
    fields = extract_fields(text=text, subject="Complaint", from_name="", from_address=sender)
    assert fields.phone == e164
    assert fields.phone_written == written
    assert not fields.phones_unsure


def test_uk_number_from_a_generic_domain_is_read_by_the_address_in_the_signature() -> None:
    text = (
        "The kettle leaks.\n\nCall me on 07700 900461.\n\nJames Carter\n14 Oxford Road\n"
        "Manchester"
    )
    fields = extract_fields(text=text, subject="", from_name="", from_address="j@gmail.com")
    assert fields.phone == "+447700900461"


def test_number_valid_in_two_places_of_the_context_is_kept_as_written() -> None:
    """An English mail from a generic domain: 9123 4567 is a mobile in Hong Kong and in
    Singapore. Nothing says which, so it is kept as written and flagged."""
    fields = extract_fields(
        text="The fan is broken. Please call 9123 4567.", subject="", from_name="",
        from_address="someone@gmail.com",
    )
    assert fields.phone == "9123 4567" and fields.phone_written == "9123 4567"
    assert fields.phones_unsure == ("9123 4567",)
    assert set(fields.phone_candidates) == {"+85291234567", "+6591234567"}
    assert fields.phones == ()


def test_number_invalid_in_the_fallback_with_no_context_is_kept_as_written() -> None:
    fields = extract_fields(
        text="电风扇坏了，请退款。我的电话 9123 4567", subject="", from_name="",
        from_address="someone@qq.com",
    )
    assert fields.phone == "9123 4567"
    assert fields.phones_unsure == ("9123 4567",)


LETTERS = [
    ("Dear Sir,\nMy kettle leaks.\nPlease call me on 07700\n900461.\nJames Carter\n"
     "14 Oxford Road\nManchester M1 5QA\n", "+447700900461", "07700 900461"),
    ("Dear Sir,\nMy fan is broken.\nCall me on 9123 4567.\nPeter Wong\n25 Nathan Road, Kowloon\n"
     "Hong Kong\n", "+85291234567", "9123 4567"),
    ("您好：\n電風扇壞了，請退款。\n電話 0912 345 678\n地址：台北市信義區松仁路 100 號\n林小姐\n",
     "+886912345678", "0912 345 678"),
    ("Dear Sir,\nThe rice cooker is broken.\nCall 8123 4567.\nMr Tan\n1 Raffles Place\n"
     "Singapore 048616\n", "+6581234567", "8123 4567"),
    ("Dear Sir,\nThe toaster burnt out.\nCall me at (415) 555-2671.\nJoe Smith\n"
     "350 Fifth Avenue\nNew York, NY 10118\n", "+14155552671", "(415) 555-2671"),
    ("Dear Sir,\nThe toaster burnt out.\nCall me at +1 415 555 2671.\nJoe Smith\n",
     "+14155552671", "+1 415 555 2671"),
]


@pytest.mark.parametrize(("text", "e164", "written"), LETTERS)
def test_letter_phone_read_in_the_writers_region(text: str, e164: str, written: str) -> None:
    fields = extract_letter_fields(text)
    assert fields.phone.value == e164
    assert fields.phone_written == written


def test_ambiguous_number_in_a_letter_is_kept_as_written_with_a_weak_confidence() -> None:
    fields = extract_letter_fields("Dear Sir,\nThe fan is broken.\nCall 9123 4567.\nAnn Lee\n")
    assert fields.phone.value == "9123 4567" and fields.phone.weak
    assert fields.phones_unsure == ("9123 4567",)


def _ack(phone: str, written: str) -> str:
    letter = AckLetter(
        reference="CP-2026-000001", language="en", customer_name="James Carter",
        summary="The kettle leaks.", phone_on_file=phone,
        received_at=datetime(2026, 12, 1, tzinfo=UTC),
        review_days=3, company_name="Shop", service_phone="400-820-8820", phone_written=written,
    )
    return render_acknowledgment(letter).text


def test_acknowledgment_repeats_the_number_as_the_customer_wrote_it() -> None:
    text = _ack("+447700900461", "07700 900461")
    assert "07700 900461" in text
    assert "+44 7700 900461" not in text and "0770 090 0461" not in text


def test_acknowledgment_repeats_an_unsure_number_as_written() -> None:
    assert "9123 4567" in _ack("9123 4567", "9123 4567")


def test_acknowledgment_shows_a_number_staff_corrected_not_the_old_written_one() -> None:
    text = _ack("+447911123456", "07700 900461")
    assert "07700 900461" not in text and "+44 7911 123456" in text


TEXTS = [
    "Please call me on +44 20 7946 0018.",
    "My number: +44 7700 900123 or 020 7946 0018",
    "Tel +65 6123 4567 / 9123 4567",
    "+852 2123 4567, +1 212 555 0199 and 138 0013 8000",
    "Reach me at +44 20 7946\n 0018 please",
    "(+44) 20 7946 0018",
    "+86 138-0013-8000 订单号 202611281234",
    "call 2123 4567 or +44 20 7946 0018",
    "0044 20 7946 0018",
]
CONTEXTS = [
    RegionContext(languages=("GB", "US", "SG", "HK")),
    RegionContext(places=("GB",), languages=("US", "SG")),
    RegionContext(places=("SG", "HK")),
    RegionContext(),
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("context", CONTEXTS)
def test_a_number_from_abroad_is_matched_once_and_read_as_in_every_region(
    text: str, context: RegionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN numbers with a "+" (their country their own) beside national ones
    THEN the reading is the one of matching each region in turn, while a cluster
    of "+" numbers alone goes through the matcher once per tier, not once per region."""
    calls: list[str] = []
    original = phone_reading.cluster_matches

    def counted(folded: str, span: tuple[int, int], region: str, *, lenient: bool = False
                ) -> list[phones.PhoneMatch]:
        calls.append(region)
        return original(folded, span, region, lenient=lenient)

    monkeypatch.setattr(phone_reading, "cluster_matches", counted)
    fast = read_phones(text, context)
    monkeypatch.setattr(phones, "same_in_every_region", lambda *args: False)
    monkeypatch.setattr(phone_reading, "same_in_every_region", lambda *args: False)
    calls_before = len(calls)
    assert fast == read_phones(text, context)
    assert len(calls) - calls_before >= calls_before
    if text == TEXTS[0] and context == CONTEXTS[0]:
        assert calls_before == 1 and len(calls) - calls_before == 4
