"""Paying: one module per payment provider behind one small interface, and what a payment notice does.

A provider module (`generic` is our own signed JSON callback) exposes:

- `verify(headers, raw_body, secret) -> bool`: is the notice really from the provider?
- `parse(raw_body) -> PaymentNotice`: the notice, typed; raises InvalidInput naming the field.
- `create_link(order, option) -> str | None`: the page where the customer pays.
- `Body` (the pydantic model of its notice) and `SECURITY` (its OpenAPI security scheme), so
  /api/openapi.json documents the provider that is switched on.

PAYMENT_PROVIDER picks the module: a name in PROVIDERS, or a dotted module path for a provider kept
outside shopbot. The callback view verifies and parses with it, then calls `record` (notices.py).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType

from bot.errors import ConfigError

#: Provider name -> module. `register` adds one (a test, a plug-in).
PROVIDERS: dict[str, str] = {"generic": "bot.commerce.payments.generic"}


class NoticeStatus(StrEnum):
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentNotice:
    """What a provider tells us about one payment attempt; the amount in minor units of `currency`."""

    reference: str
    payment_id: str
    amount_minor: int
    currency: str
    status: NoticeStatus


def register(name: str, module: str) -> None:
    """Make a provider module available as PAYMENT_PROVIDER=`name`."""
    PROVIDERS[name] = module


def provider(name: str | None) -> ModuleType:
    """The provider module named by PAYMENT_PROVIDER (default `generic`); raises ConfigError when unknown."""
    path = PROVIDERS.get(name or "generic", name or "")
    try:
        return importlib.import_module(path)
    except ImportError:
        raise ConfigError(f"PAYMENT_PROVIDER={name!r} is not a payment provider; use one of "
                          + ", ".join(sorted(PROVIDERS))) from None


from bot.commerce.payments.generic import payment_link, signature  # noqa: E402  (re-exported)
from bot.commerce.payments.notices import Recorded, Result, record  # noqa: E402

__all__ = ["PROVIDERS", "NoticeStatus", "PaymentNotice", "Recorded", "Result", "payment_link", "provider",
           "record", "register", "signature"]
