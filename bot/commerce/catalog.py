"""The shop's products: categories, products and their sellable variants (SKUs).

Loaded from `catalog/` by `bot.content.catalog_files`; immutable once loaded,
so every worker can share one instance and a reload swaps it whole. Names,
descriptions and option words are the owner's default language; the
translations they wrote (`name_es`, `options_ar`, ...) are kept beside them and
picked with the `*_in(lang)` methods, falling back to the default.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.content.language_packs import LanguagePack


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    emoji: str = ""
    description: str = ""
    titles: Mapping[str, str] = field(default_factory=dict)  # language -> translated title
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def title_in(self, lang: str | None) -> str:
        return self.titles.get(lang or "") or self.title

    def label_in(self, lang: str | None) -> str:
        return f"{self.emoji} {self.title_in(lang)}".strip()

    def description_in(self, lang: str | None) -> str:
        return self.descriptions.get(lang or "") or self.description


@dataclass(frozen=True)
class Variant:
    """One sellable SKU: a product in one combination of options."""

    sku: str
    product_id: str
    options: tuple[tuple[str, str], ...]  # (("size", "M"), ("colour", "Red"))
    price: int  # minor units
    currency: str
    stock: int | None  # None: unlimited
    active: bool = True
    image: str | None = None

    @property
    def in_stock(self) -> bool:
        return self.active and (self.stock is None or self.stock > 0)


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    category: str
    description: str
    image: str | None
    keywords: tuple[str, ...]
    variants: tuple[Variant, ...]
    names: Mapping[str, str] = field(default_factory=dict)  # language -> translated name
    descriptions: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # language -> option name/value -> its word

    def name_in(self, lang: str | None) -> str:
        return self.names.get(lang or "") or self.name

    def description_in(self, lang: str | None) -> str:
        return self.descriptions.get(lang or "") or self.description

    def word_in(self, word: str, lang: str | None) -> str:
        """An option's name or value ("colour", "White") as the customer's language writes it."""
        return self.words.get(lang or "", {}).get(word) or word

    @property
    def all_names(self) -> tuple[str, ...]:
        """Its name in every language the owner wrote: what a customer may call it."""
        return (self.name, *self.names.values())

    def translations_of(self, word: str) -> tuple[str, ...]:
        """An option word in every language the owner wrote it in ("White" -> "Blanco", "أبيض")."""
        return tuple(words[word] for words in self.words.values() if word in words)

    def options_in(self, variant: Variant, lang: str | None) -> str:
        """'M, Blanco': the variant's option values in `lang`."""
        return ", ".join(self.word_in(value, lang) for _name, value in variant.options)

    @cached_property
    def option_names(self) -> tuple[str, ...]:
        """Option names in the order they first appear (size before colour, as the owner wrote)."""
        names: list[str] = []
        for v in self.variants:
            for name, _value in v.options:
                if name not in names:
                    names.append(name)
        return tuple(names)

    def variant_for(self, chosen: dict[str, str]) -> Variant | None:
        """The active variant matching every chosen option, once all are chosen."""
        if set(chosen) != set(self.option_names):
            return None
        return next((v for v in self.variants if v.active and dict(v.options) == chosen), None)

    @property
    def active_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.active)

    @property
    def price_range(self) -> tuple[int, int]:
        prices = [v.price for v in self.active_variants] or [0]
        return min(prices), max(prices)


@dataclass(frozen=True)
class Catalog:
    currency: str
    categories: tuple[Category, ...]
    products: tuple[Product, ...]
    words: LanguagePack | None = None  # every language pack combined: what search ignores and translates
    _by_sku: dict = field(default_factory=dict, repr=False, compare=False)
    _by_product: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for p in self.products:
            self._by_product[p.id] = p
            for v in p.variants:
                self._by_sku[v.sku] = v

    def variant(self, sku: str) -> Variant | None:
        return self._by_sku.get(sku)

    def product(self, product_id: str) -> Product | None:
        return self._by_product.get(product_id)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def in_category(self, category_id: str) -> list[Product]:
        """Active products of a category, in the file's order."""
        return [p for p in self.products if p.category == category_id and p.active_variants]

    def product_of(self, variant: Variant) -> Product:
        return self._by_product[variant.product_id]

    @cached_property
    def search(self):
        """The search index, built on first use (not at load: `shopbot check` needs none)."""
        from bot.commerce.search import SearchIndex

        return SearchIndex(self)


EMPTY = Catalog(currency="EUR", categories=(), products=())
