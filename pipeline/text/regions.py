"""Which country a customer's phone numbers belong to, from what the mail or letter tells us.

A number written without a country code ("07700 900461") means different things in
different countries: a UK mobile, or a landline in Guangxi. Reading every such number
as Chinese told a customer in Manchester that we would call a number in China. The
context says where the customer is: the country-code domain they write from (.uk,
.hk, .tw, .sg, …), the country, city or postcode in their postal address, and the
language and script they write in. ``COMPLAINTS_PHONE_REGION`` is only the fallback.

The answer is tiers of regions, strongest first; the phone reader takes a number from
the first tier that gives a valid one, and flags it when one tier gives two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

__all__ = ["RegionContext", "address_regions", "domain_region", "phone_context"]

# Country-code domains that are not where their users live, or are used as words.
_NOT_COUNTRIES = {"io", "co", "me", "tv", "ai", "ly", "fm", "am", "to", "ws", "cc", "eu"}
_ENGLISH_REGIONS = ("GB", "US", "SG", "HK")
_TRADITIONAL_REGIONS = ("TW", "HK")
# Characters only Traditional Chinese uses (their Simplified forms differ).
_TRADITIONAL = re.compile("[們這個請話單來說時會與為體號碼謝買貨壞換應聯繫臺灣變還給嗎將處發]")
_SIMPLIFIED = re.compile("[们这个请话单来说时会与为体号码谢买货坏换应联系台湾变还给吗将处发]")

# Country, city or postcode words in a postal address (an address block or signature).
_ADDRESS_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GB", re.compile(
        r"\b(?:united kingdom|great britain|england|scotland|wales|northern ireland|u\.?k\.?|"
        r"london|manchester|birmingham|leeds|glasgow|edinburgh|liverpool|bristol|cardiff)\b|英国",
        re.IGNORECASE)),
    ("GB", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b")),  # a UK postcode
    ("HK", re.compile(r"\b(?:hong kong|kowloon|new territories|hksar)\b|香港|九龍|九龙|新界",
                      re.IGNORECASE)),
    ("TW", re.compile(r"\b(?:taiwan|taipei|kaohsiung|taichung|tainan)\b"
                      r"|台湾|臺灣|台灣|台北|臺北|高雄|台中|臺中", re.IGNORECASE)),
    ("SG", re.compile(r"\bsingapore\b|新加坡", re.IGNORECASE)),
    ("US", re.compile(
        r"\b(?:united states|u\.?s\.?a\.?)\b|,\s*(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|"
        r"M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY])\s+\d{5}(?:-\d{4})?\b|"
        r"美国")),
    ("CN", re.compile(r"[\u4e00-\u9fff]{2,7}(?:省|自治区|市)[\u4e00-\u9fff]{1,7}(?:区|县|市)|"
                      r"\b(?:P\.?R\.? ?China|People's Republic of China|mainland china)\b",
                      re.IGNORECASE)),
)


@dataclass(frozen=True)
class RegionContext:
    """Regions to read national numbers in, strongest evidence first.

    ``places``: where the customer demonstrably is (domain, address); ``languages``:
    where people write as they do; ``fallback``: the configured region.
    """

    places: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    fallback: str = "CN"

    @property
    def tiers(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tier for tier in (self.places, self.languages, (self.fallback,)) if tier)

    @property
    def points_somewhere(self) -> bool:
        return bool(self.places or self.languages)


def domain_region(address: str) -> str:
    """The region of a country-code domain (jane@mail.co.uk → GB); "" for .com, .net…."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    label = domain.rpartition(".")[2]
    if len(label) != 2 or label in _NOT_COUNTRIES:
        return ""
    region = "GB" if label == "uk" else label.upper()
    return region if phonenumbers.country_code_for_region(region) else ""


def address_regions(text: str) -> tuple[str, ...]:
    """Regions a postal address (or signature block) names, in the order of the hints."""
    return tuple(dict.fromkeys(region for region, hint in _ADDRESS_HINTS if hint.search(text)))


def language_regions(text: str, language: str) -> tuple[str, ...]:
    """English writers could be in any English-speaking region we serve; Traditional
    Chinese points to Taiwan or Hong Kong. Simplified Chinese adds nothing beyond
    the fallback."""
    if language == "en":
        return _ENGLISH_REGIONS
    if len(_TRADITIONAL.findall(text)) > len(_SIMPLIFIED.findall(text)):
        return _TRADITIONAL_REGIONS
    return ()


def phone_context(
    *, from_address: str, address_text: str, text: str, language: str, fallback: str
) -> RegionContext:
    """The context for one complaint: its sender, its address block, and its words."""
    places = tuple(
        dict.fromkeys(r for r in (domain_region(from_address), *address_regions(address_text)) if r)
    )
    return RegionContext(
        places=places, languages=language_regions(text, language), fallback=fallback.upper()
    )
