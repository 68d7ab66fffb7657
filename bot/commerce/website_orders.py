"""Orders the shop's website creates before sending the customer to WhatsApp.

The website posts its cart; prices and stock are checked again against the
catalog (the website's figures are never trusted), the stock is reserved, and
the order waits, pending, for the customer to confirm it in chat. Its wa.me
link carries the structured summary with the reference.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.commerce import inventory, order_view, orders, references
from bot.commerce.checkout import _insert_order, _write_lines, reserve_lines
from bot.content.shop import Content
from bot.errors import InvalidInput, Unprocessable
from bot.commerce.links import wa_me
from bot.models import Order, OrderSource, OrderStatus
from bot.commerce.pricing import quote
from bot.commerce.cart import MAX_QUANTITY

MAX_ITEMS = 50


def _cart(content: Content, items) -> list[dict]:
    """[{sku | product_id + options, quantity}] -> [{sku, qty}], checking every field.

    The quantity cap holds per SKU, summed over the lines, as in the chat's
    cart: repeating a line does not get round it.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("items", "must be a non-empty list")
    if len(items) > MAX_ITEMS:
        raise InvalidInput("items", f"at most {MAX_ITEMS} lines")
    cart, unknown = {}, []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(where, "must be an object")
        qty = item.get("quantity", 1)
        if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= MAX_QUANTITY:
            raise InvalidInput(f"{where}.quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")
        sku = item.get("sku")
        if sku is None:
            product_id, options = item.get("product_id"), item.get("options") or {}
            if not isinstance(product_id, str) or not isinstance(options, dict):
                raise InvalidInput(f"{where}.sku", "give a sku, or a product_id with options")
            product = content.catalog.product(product_id)
            variant = product.variant_for({str(k).lower(): str(v) for k, v in options.items()}) if product else None
            if variant is None:
                unknown.append({"item": i, "product_id": product_id, "options": options,
                                "problem": "no such product or option combination"})
                continue
            sku = variant.sku
        if not isinstance(sku, str) or not sku:
            raise InvalidInput(f"{where}.sku", "must be a non-empty string")
        variant = content.catalog.variant(sku)
        if variant is None or not variant.active:
            unknown.append({"item": i, "sku": sku, "problem": "unknown SKU"})
            continue
        cart[sku] = cart.get(sku, 0) + qty
        if cart[sku] > MAX_QUANTITY:
            raise InvalidInput(f"{where}.quantity", f"at most {MAX_QUANTITY} of one SKU per order; "
                                                    f"the lines for {sku} add up to {cart[sku]}")
    if unknown:
        raise Unprocessable("some items are not sold by this shop", unknown)
    return [{"sku": sku, "qty": qty} for sku, qty in cart.items()]


def _text(body: dict, field: str, limit: int) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(field, f"must be text of at most {limit} characters")
    return value.strip() or None


def create(session: Session, content: Content, body, now: datetime, display_number: str) -> tuple[Order, str]:
    """A pending order from the website's cart; returns it with its wa.me link.

    Raises InvalidInput (400) and Unprocessable (422: unknown SKUs, stock).
    """
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    cart = _cart(content, body.get("items"))
    customer = body.get("customer") or {}
    if not isinstance(customer, dict):
        raise InvalidInput("customer", "must be an object")
    name = _text(customer, "name", 120)
    phone = customer.get("phone")
    if phone is not None and (not isinstance(phone, str) or not re.fullmatch(r"\+?[0-9 ()-]{6,20}", phone)):
        raise InvalidInput("customer.phone", "must be a phone number")
    delivery_id = body.get("delivery")
    if delivery_id is not None and content.checkout.delivery_option(delivery_id) is None:
        raise InvalidInput("delivery", "unknown delivery option; use one of "
                           + ", ".join(d.id for d in content.checkout.delivery))
    payment_id = body.get("payment")
    if payment_id is not None and content.checkout.payment_option(payment_id) is None:
        raise InvalidInput("payment", "unknown payment option; use one of "
                           + ", ".join(p.id for p in content.checkout.payment))
    note, source = _text(body, "note", 500), _text(body, "source", 32)
    address = _text(body, "address", 500)
    figures = quote(content.catalog, content.checkout, cart, delivery_id)
    delivery = content.checkout.delivery_option(delivery_id)
    order = Order(reference=references.make(content.checkout.reference_prefix), status=OrderStatus.PENDING,
                  source=OrderSource.WEBSITE, source_tag=source, customer_name=name,
                  phone=re.sub(r"[^0-9]", "", phone) if phone else None,
                  delivery_method=delivery.id if delivery else None, delivery_title=delivery.title if delivery else None,
                  expected_delivery=delivery.eta if delivery else None, address=address, payment_method=payment_id,
                  note=note, currency=figures.currency, subtotal=figures.subtotal, shipping_fee=figures.fee,
                  total=figures.total, created_at=now, updated_at=now,
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
        "reference": order.reference, "status": order.status, "source": order.source,
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
