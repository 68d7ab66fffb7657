"""A payment provider with its own notice format, as a second provider module would be (tests only).

Acme posts `{"order": ..., "id": ..., "amount_cents": 650, "currency": "eur", "state": "succeeded"}`
with the shared secret in `Acme-Token`.
"""
from __future__ import annotations

import hmac
from typing import Literal

from pydantic import BaseModel, Field

from bot.commerce.payments import NoticeStatus, PaymentNotice
from bot.web_input import parse_json, validate

SECURITY = {"type": "apiKey", "in": "header", "name": "Acme-Token"}


class AcmeNotice(BaseModel):
    order: str = Field(min_length=1, max_length=32)
    id: str = Field(min_length=1, max_length=128)
    amount_cents: int = Field(ge=0)
    currency: str = Field(pattern="^[a-z]{3}$")
    state: Literal["succeeded", "failed"]


Body = AcmeNotice


def verify(headers, body: bytes, secret: str) -> bool:
    return hmac.compare_digest(headers.get("Acme-Token", "").encode(), secret.encode())


def parse(body: bytes) -> PaymentNotice:
    notice = validate(AcmeNotice, parse_json(body))
    status = NoticeStatus.PAID if notice.state == "succeeded" else NoticeStatus.FAILED
    return PaymentNotice(notice.order, notice.id, notice.amount_cents, notice.currency.upper(), status)


def create_link(order, option) -> str:
    return f"https://pay.acme.example/{order.reference}?cents={order.total}"
