"""Paying: the shop's payment links and the provider's signed callbacks.

(Card numbers customers type are removed by `card_redaction`.)
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from bot.commerce.money import digits


def payment_link(template: str, reference: str, amount_minor: int, currency: str) -> str:
    """The shop's payment page for an order: {reference} {amount} {amount_minor} {currency}."""
    places = digits(currency)
    amount = f"{amount_minor / 10 ** places:.{places}f}" if places else str(amount_minor)
    return template.format(reference=quote(reference), amount=quote(amount), amount_minor=amount_minor,
                           currency=quote(currency))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of a provider callback's `X-Signature` header.

    Compared as bytes: `hmac.compare_digest` raises on a str that is not
    ASCII, and a header is whatever the caller sent.
    """
    if not secret or not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode("utf-8", "replace"))
