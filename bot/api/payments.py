"""POST /api/payments/callback: the payment provider's notice, through the provider module PAYMENT_PROVIDER picks.

The provider checks the signature on the raw body and reads the notice
(bot/commerce/payments/); `payments.record` applies it. Here each outcome
becomes an HTTP answer. Without PAYMENT_WEBHOOK_SECRET the callback is off (503).
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, request

from bot.api import body_bytes, error
from bot.api.contract import Reply, operation
from bot.api.models import PaymentOut
from bot.commerce import payments
from bot.db import transaction
from bot.models import utcnow as now

log = logging.getLogger(__name__)
R = payments.Result


def active_provider():
    """The provider module PAYMENT_PROVIDER names (chosen by create_app)."""
    return current_app.extensions["shopbot.payments"]


@operation("post", "/payments/callback", "The payment provider's notice: paid (idempotent by payment_id, only "
           "for the exact total) or failed (a person takes the chat)",
           {200: Reply("recorded, already recorded, handed to staff (failed), or ignored (a failure for an order "
                       "already paid)", PaymentOut),
            401: "a missing or bad signature", 404: "no such order",
            409: "the order cannot be paid in its status",
            422: "the currency or amount does not match the order (an amount mismatch is handed to staff)",
            503: "not configured: PAYMENT_WEBHOOK_SECRET is unset"},
           body=lambda: active_provider().Body, security="payment", validate_body=False)
def payment_callback():
    secret = current_app.config.get("PAYMENT_WEBHOOK_SECRET") or ""
    if not secret:  # no default secret live: without one the callback is switched off
        return error(503, "payment callbacks are not configured (set PAYMENT_WEBHOOK_SECRET)")
    provider, raw = active_provider(), body_bytes()
    if not provider.verify(request.headers, raw, secret):
        log.warning("payment callback with a bad signature refused")
        return error(401, "bad signature")
    notice = provider.parse(raw)
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        outcome = payments.record(session, current_app.extensions["shopbot.content"].current(), notice, now())
    match outcome.result:
        case R.PAID | R.FAILED:
            answer = PaymentOut(result=outcome.result.value, reference=outcome.reference)
        case R.ALREADY_RECORDED:
            answer = PaymentOut(result="already recorded")
        case R.IGNORED_ALREADY_PAID:
            answer = PaymentOut(result="ignored", reason=f"order {outcome.reference} is already paid",
                                reference=outcome.reference)
        case R.NO_ORDER:
            return error(404, f"no order {outcome.reference}", field="reference")
        case R.CURRENCY_MISMATCH:
            return error(422, "currency does not match the order", field="currency",
                         details=[{"expected": outcome.expected}])
        case R.AMOUNT_MISMATCH:
            return error(422, "amount does not match the order total", field="amount",
                         details=[{"expected": outcome.expected, "received": notice.amount_minor,
                                   "in": "minor units"}])
        case R.NOT_PAYABLE:
            return error(409, f"order {outcome.reference} is {outcome.status}; it cannot be paid now",
                         current=outcome.status)
    return jsonify(answer.model_dump(mode="json", exclude_none=True))
