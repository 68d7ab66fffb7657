"""Pricing a cart for checkout: lines at today's catalog prices, delivery fee, total.

Pure and shared: the chat summary, the order written at Confirm and the
website API all compute the same figures from the same function.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.commerce.catalog import Catalog
from bot.content.checkout_file import CheckoutOptions


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    name: str
    options: str
    qty: int
    unit: int
    total: int


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    subtotal: int
    fee: int
    total: int
    currency: str
    unknown: tuple[str, ...]  # SKUs no longer sold


def quote(catalog: Catalog, options: CheckoutOptions, cart: list[dict], delivery_id: str | None,
          lang: str | None = None) -> Quote:
    """Figures for `cart` ([{sku, qty}]) delivered by `delivery_id` (no fee until chosen), named in `lang`
    (orders are written in the shop's default language: leave it out)."""
    lines, unknown = [], []
    for item in cart:
        variant = catalog.variant(item["sku"])
        if variant is None or not variant.active:
            unknown.append(item["sku"])
            continue
        product = catalog.product_of(variant)
        lines.append(QuoteLine(variant.sku, product.name_in(lang), product.options_in(variant, lang), item["qty"],
                               variant.price,
                               variant.price * item["qty"]))
    subtotal = sum(line.total for line in lines)
    delivery = options.delivery_option(delivery_id)
    fee = delivery.fee if delivery else 0
    return Quote(tuple(lines), subtotal, fee, subtotal + fee, catalog.currency, tuple(unknown))
