"""The product catalogue, read from a TOML file (``COMPLAINTS_PRODUCTS_FILE``).

The statistics count complaints per product (品名), and recurring problems form per
product, so the same product must always be written the same way. Customers name it
in their own words ("热水壶", "my kettle"); the catalogue lists each product's names
and aliases in both languages, and the product a complaint names is suggested at
intake under its one catalogue name. Without the setting the built-in example
``config/products.example.toml`` is used.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from config.settings import Settings

BUILT_IN = Path(__file__).with_name("products.example.toml")


class ProductsFileError(ValueError):
    """The products file cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Product:
    """One product: its key, its names, and the words customers use for it."""

    key: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]

    @property
    def label(self) -> str:
        """The one way the product is written on cases and in the statistics."""
        return f"{self.name_zh} / {self.name_en}"

    def words(self) -> tuple[str, ...]:
        """Every way of naming it, lower case, longest first (the most specific wins)."""
        names = {w.strip().lower() for w in (self.name_zh, self.name_en, *self.aliases)}
        return tuple(sorted((w for w in names if w), key=len, reverse=True))


def _product(entry: object, path: Path, index: int) -> Product:
    if not isinstance(entry, dict):
        raise ProductsFileError(f"{path}: product #{index} is not a table.")
    missing = [f for f in ("key", "name_zh", "name_en") if not entry.get(f)]
    if missing:
        raise ProductsFileError(f"{path}: product #{index} is missing {', '.join(missing)}.")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ProductsFileError(f"{path}: aliases of '{entry['key']}' must be a list of text.")
    return Product(key=str(entry["key"]), name_zh=str(entry["name_zh"]),
                   name_en=str(entry["name_en"]), aliases=tuple(aliases))


@cache
def read_products(path: Path) -> tuple[Product, ...]:
    """Parse one products file (cached)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProductsFileError(f"{path}: cannot be read: {exc}") from exc
    products = tuple(_product(e, path, i + 1) for i, e in enumerate(data.get("product", [])))
    keys = [p.key for p in products]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ProductsFileError(f"{path}: product key used twice: {', '.join(duplicates)}.")
    return products


def load_products(settings: Settings) -> tuple[Product, ...]:
    """The configured product catalogue."""
    return read_products(Path(settings.products_file) if settings.products_file else BUILT_IN)


def catalogue_label(products: tuple[Product, ...], value: str) -> str:
    """What staff typed as the product, written the catalogue's way when it names one.

    A key, a name or an alias becomes the product's label; anything else is kept as
    typed (a product the catalogue does not list yet).
    """
    wanted = value.strip().lower()
    for product in products:
        if wanted in (product.key.lower(), product.label.lower(), *product.words()):
            return product.label
    return value.strip()
