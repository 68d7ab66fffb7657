"""Orders the shop's website creates before sending the customer to WhatsApp.

The website posts its cart; prices and stock are checked again against the
catalog (the website's figures are never trusted), the stock is reserved, and
the order waits, pending, for the customer to confirm it in chat. Its wa.me
link carries the structured summary with the reference.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.commerce import inventory, order_view, orders, references
from bot.commerce.cart import MAX_QUANTITY
from bot.commerce.checkout import _insert_order, _write_lines, reserve_lines
from bot.commerce.links import wa_me
from bot.commerce.pricing import quote
from bot.content.shop import Content
from bot.errors import InvalidInput, Unprocessable
from bot.models import Order, OrderSource, OrderStatus


class CartItem(Protocol):
    """A line of the website's cart, checked for shape by the API (bot/api/models.CartItem)."""

    # read-only: the API's model declares `sku: str` (not nullable in the document) yet holds None
    @property
    def sku(self) -> str | None: ...
    @property
    def product_id(self) -> str | None: ...
    @property
    def options(self) -> dict[str, str]: ...
    @property
    def quantity(self) -> int: ...


def _cart(content: Content, items: Sequence[CartItem]) -> list[dict]:
    """The website's lines -> [{sku, qty}]: unknown products are Unprocessable (422), together.

    The quantity cap holds per SKU, summed over the lines, as in the chat's
    cart: repeating a line does not get round it (InvalidInput naming the line).
    """
    cart: dict[str, int] = {}
    unknown = []
    for i, item in enumerate(items):
        sku = item.sku
        if sku is None:
            product = content.catalog.product(item.product_id or "")
            variant = product.variant_for({k.lower(): v for k, v in item.options.items()}) if product else None
            if variant is None:
                unknown.append({"item": i, "product_id": item.product_id, "options": item.options,
                                "problem": "no such product or option combination"})
                continue
            sku = variant.sku
        variant = content.catalog.variant(sku)
        if variant is None or not variant.active:
            unknown.append({"item": i, "sku": sku, "problem": "unknown SKU"})
            continue
        cart[sku] = cart.get(sku, 0) + item.quantity
        if cart[sku] > MAX_QUANTITY:
            raise InvalidInput(f"items[{i}].quantity", f"at most {MAX_QUANTITY} of one SKU per order; "
                                                       f"the lines for {sku} add up to {cart[sku]}")
    if unknown:
        raise Unprocessable("some items are not sold by this shop", unknown)
    return [{"sku": sku, "qty": qty} for sku, qty in cart.items()]


def _unknown_option(field: str, wanted: str, options) -> Unprocessable:
    """A delivery or payment option the shop does not offer (flows/checkout.yaml)."""
    known = [o.id for o in options]
    return Unprocessable(f"unknown {field} option; use one of " + ", ".join(known),
                         [{"received": wanted, "known": known}], field=field)


def create(session: Session, content: Content, items: Sequence[CartItem], now: datetime, display_number: str, *,
           name: str | None = None, phone: str | None = None, delivery: str | None = None,
           payment: str | None = None, address: str | None = None, note: str | None = None,
           source: str | None = None) -> tuple[Order, str]:
    """A pending order from the website's cart; returns it with its wa.me link.

    The fields' shapes are checked by the API's model; here they meet the shop:
    raises Unprocessable (422: unknown SKUs or options, stock) and InvalidInput
    (400: more than MAX_QUANTITY of one SKU).
    """
    cart = _cart(content, items)
    delivery_option = content.checkout.delivery_option(delivery)
    if delivery is not None and delivery_option is None:
        raise _unknown_option("delivery", delivery, content.checkout.delivery)
    payment_option = content.checkout.payment_option(payment)
    if payment is not None and payment_option is None:
        raise _unknown_option("payment", payment, content.checkout.payment)
    figures = quote(content.catalog, content.checkout, cart, delivery)
    order = Order(reference=references.make(content.checkout.reference_prefix), status=OrderStatus.PENDING,
                  source=OrderSource.WEBSITE, source_tag=(source or "").strip() or None,
                  customer_name=(name or "").strip() or None,
                  phone=re.sub(r"[^0-9]", "", phone) if phone else None,
                  delivery_method=delivery_option.id if delivery_option else None,
                  delivery_title=delivery_option.title if delivery_option else None,
                  expected_delivery=delivery_option.eta if delivery_option else None,
                  address=(address or "").strip() or None, payment_method=payment_option and payment_option.id,
                  payment_status=orders.payment_status_at_checkout(payment_option),
                  note=(note or "").strip() or None, currency=figures.currency, subtotal=figures.subtotal,
                  shipping_fee=figures.fee, total=figures.total, created_at=now, updated_at=now,
                  expires_at=now + timedelta(minutes=content.checkout.website_order_expire_after_minutes))
    try:
        reserve_lines(session, figures, now)
    except inventory.OutOfStock as exc:
        raise Unprocessable("not enough stock", [{"sku": exc.sku, "problem": "not enough stock",
                                                   "available": exc.available or 0}]) from None
    order.stock_reserved = True
    _insert_order(session, order, content.checkout.reference_prefix)
    _write_lines(session, order, figures)
    orders.record_creation(session, order, "api:website", now)
    return order, wa_me(display_number, prefilled_text(content, order, figures))


def prefilled_text(content: Content, order: Order, figures) -> str:
    """The structured summary the customer sends back; the reference is what counts."""
    def money(minor: int) -> str:
        return order_view.money(content, minor, order.currency)

    lines = [f"Hi {content.shop['name']}! I'd like to confirm my order {order.reference}:"]
    lines += [f"• {x.qty} × {x.name}" + (f" ({x.options})" if x.options else "") + f" · {money(x.total)}"
              for x in figures.lines]
    lines.append(f"Subtotal: {money(order.subtotal)}")
    if order.delivery_title:
        lines.append(f"Delivery: {order.delivery_title} · {money(order.shipping_fee)}")
    lines.append(f"Total: {money(order.total)}")
    return "\n".join(lines)


def as_json(order: Order, lines, content: Content) -> dict:
    return {
        "reference": order.reference, "status": order.status, "payment_status": order.payment_status,
        "source": order.source,
        "currency": order.currency, "subtotal": order.subtotal, "shipping_fee": order.shipping_fee,
        "total": order.total, "customer": {"name": order.customer_name, "phone": order.phone},
        "delivery": order.delivery_method, "payment": order.payment_method,
        "items": [{"sku": x.sku, "name": x.name, "options": x.options, "quantity": x.quantity,
                   "unit_price": x.unit_price, "total": x.total} for x in lines],
        "created_at": order.created_at.isoformat(),
        "expires_at": order.expires_at.isoformat() if order.expires_at else None,
        "confirmed_by_customer": order.customer_confirmed_at is not None,
        "amounts_in": "minor units of the currency (cents)",
    }
