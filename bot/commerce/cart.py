"""The cart: pure functions over a list of lines kept in the conversation's state.

A line is `{"sku": str, "qty": int, "price": int}`, where `price` is the unit
price (minor units) the customer last saw, so a later change in the catalog
is noticed and told, never silently applied.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.commerce.catalog import Catalog, Variant
from bot.commerce.pricing import QuoteLine as LineView

MAX_QUANTITY = 99


class CartError(Exception):
    """Base for cart refusals; each carries what the customer needs to hear."""


@dataclass
class NotEnoughStock(CartError):
    variant: Variant
    available: int
    in_cart: int


@dataclass
class SoldOut(CartError):
    variant: Variant


@dataclass
class TooMany(CartError):
    limit: int = MAX_QUANTITY


def quantity_of(lines: list[dict], sku: str) -> int:
    return next((line["qty"] for line in lines if line["sku"] == sku), 0)


def _check(variant: Variant, available: int | None, wanted: int, in_cart_before: int) -> None:
    if not variant.active or available == 0:
        raise SoldOut(variant)
    if wanted > MAX_QUANTITY:
        raise TooMany()
    if available is not None and wanted > available:
        raise NotEnoughStock(variant, available, in_cart_before)


def add(lines: list[dict], variant: Variant, qty: int, available: int | None) -> list[dict]:
    """Lines with `qty` more of `variant`, of which `available` units are for sale
    (None: unlimited). Raises SoldOut, NotEnoughStock or TooMany."""
    current = quantity_of(lines, variant.sku)
    _check(variant, available, current + qty, current)
    if current:
        return [dict(line, qty=current + qty, price=variant.price) if line["sku"] == variant.sku else line
                for line in lines]
    return [*lines, {"sku": variant.sku, "qty": qty, "price": variant.price}]


def set_quantity(lines: list[dict], variant: Variant, qty: int, available: int | None) -> list[dict]:
    """Lines with exactly `qty` of `variant` (0 removes it)."""
    if qty <= 0:
        return remove(lines, variant.sku)
    _check(variant, available, qty, 0)
    return [dict(line, qty=qty) if line["sku"] == variant.sku else line for line in lines]


def remove(lines: list[dict], sku: str) -> list[dict]:
    return [line for line in lines if line["sku"] != sku]


@dataclass(frozen=True)
class PriceChange:
    name: str
    old: int
    new: int


@dataclass(frozen=True)
class CartView:
    lines: tuple[LineView, ...]
    subtotal: int
    count: int
    price_changes: tuple[PriceChange, ...]
    gone: tuple[str, ...]  # names of items no longer sold, dropped from the cart
    repriced: list[dict]  # the lines to keep, at today's prices


def view(lines: list[dict], catalog: Catalog, lang: str | None = None) -> CartView:
    """The cart at today's catalog prices, noting every price change and item gone; names in `lang`."""
    shown, changes, gone, kept = [], [], [], []
    for line in lines:
        variant = catalog.variant(line["sku"])
        if variant is None or not variant.active:
            gone.append(catalog.product_of(variant).name_in(lang) if variant else line["sku"])
            continue
        product = catalog.product_of(variant)
        if variant.price != line["price"]:
            changes.append(PriceChange(product.name_in(lang), line["price"], variant.price))
        kept.append(dict(line, price=variant.price))
        shown.append(LineView(variant.sku, product.name_in(lang), product.options_in(variant, lang), line["qty"],
                              variant.price,
                              variant.price * line["qty"]))
    return CartView(tuple(shown), sum(x.total for x in shown), sum(x.qty for x in shown),
                    tuple(changes), tuple(gone), kept)
