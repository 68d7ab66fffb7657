"""The generic payment provider: our own JSON notice, signed with an HMAC of the raw body.

The provider posts `{"reference", "payment_id", "amount": "36.90", "currency": "EUR", "status": "paid"}`
with `X-Signature: sha256=<hex HMAC-SHA256 of the body with PAYMENT_WEBHOOK_SECRET>`. A payment page
that can call a web hook with a shared secret fits it without code; a provider with its own format
gets its own module beside this one (see bot/commerce/payments/__init__.py).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel, Field

from bot.commerce.money import CURRENCIES, digits
from bot.commerce.payments import NoticeStatus, PaymentNotice
from bot.errors import Unprocessable
from bot.models import Order, Payment
from bot.web_input import parse_json, validate

HEADER = "X-Signature"
#: How /api/openapi.json describes the signature.
SECURITY = {"type": "apiKey", "in": "header", "name": HEADER,
            "description": "sha256=<hex HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET>"}

Currency = StrEnum("Currency", {code: code for code in CURRENCIES})  # type: ignore[misc]


class GenericPaymentNotice(BaseModel):
    """The generic provider's notice. A failed payment hands the customer's chat to a person."""

    reference: str = Field(min_length=1, max_length=Order.reference.type.length)
    payment_id: str = Field(min_length=1, max_length=Payment.provider_id.type.length)
    amount: str = Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,3})?$", examples=["36.90"],
                        description="decimal text in the currency's units")
    currency: Currency = Field(examples=["EUR"])  # type: ignore[valid-type]
    status: NoticeStatus = NoticeStatus.PAID


Body = GenericPaymentNotice  # the provider interface's name for its notice model


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Constant-time check of the `X-Signature` header.

    Compared as bytes: `hmac.compare_digest` raises on a str that is not
    ASCII, and a header is whatever the caller sent.
    """
    header = headers.get(HEADER)
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode("utf-8", "replace"))


def parse(body: bytes) -> PaymentNotice:
    """The notice in `body`; raises InvalidInput naming the field, or Unprocessable for an amount
    with more decimals than its currency has (it cannot be any order's total)."""
    notice = validate(Body, parse_json(body))
    currency = notice.currency.value
    scaled = Decimal(notice.amount).scaleb(digits(currency))
    if scaled != scaled.to_integral_value():
        raise Unprocessable(f"amount has more decimals than {currency} allows ({digits(currency)})",
                            [{"received": notice.amount}], field="amount")
    return PaymentNotice(notice.reference, notice.payment_id, int(scaled), currency, notice.status)


def payment_link(template: str, reference: str, amount_minor: int, currency: str) -> str:
    """The shop's payment page for an order: {reference} {amount} {amount_minor} {currency}."""
    places = digits(currency)
    amount = f"{amount_minor / 10 ** places:.{places}f}" if places else str(amount_minor)
    return template.format(reference=quote(reference), amount=quote(amount), amount_minor=amount_minor,
                           currency=quote(currency))


def create_link(order: Order, option) -> str | None:
    """The payment page of the shop's payment option (`link` in flows/checkout.yaml), or None without one."""
    if not getattr(option, "link", None):
        return None
    return payment_link(option.link, order.reference, order.total, order.currency)
