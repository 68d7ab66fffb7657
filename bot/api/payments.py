"""POST /api/payments/callback: the payment provider says an order is paid.

Authenticated by an HMAC of the raw body with PAYMENT_WEBHOOK_SECRET
(`X-Signature: sha256=<hex>`), idempotent by the provider's payment id, and
the amount must match the order's total to the cent.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, request
from sqlalchemy import select

from bot.staff import handoffs
from bot.commerce import orders
from bot.db import transaction
from bot.errors import InvalidInput
from bot.models import utcnow as now
from bot.models import HandoffReason, OrderStatus, Payment
from bot.commerce.money import MoneyError, parse
from bot.commerce.payments import verify
from bot.api import body_bytes, bp, error, json_body, text_field

log = logging.getLogger(__name__)
#: The callback's text fields and their longest accepted length.
FIELDS = {"reference": orders.REFERENCE_LENGTH, "payment_id": Payment.provider_id.type.length, "amount": 32,
          "currency": 3}


@bp.post("/payments/callback")
def payment_callback():
    secret = current_app.config.get("PAYMENT_WEBHOOK_SECRET") or ""
    if not secret:  # no default secret live: without one the callback is switched off
        return error(503, "payment callbacks are not configured (set PAYMENT_WEBHOOK_SECRET)")
    raw = body_bytes()
    if not verify(secret, raw, request.headers.get("X-Signature")):
        log.warning("payment callback with a bad signature refused")
        return error(401, "bad signature")
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    for field, limit in FIELDS.items():
        text_field(body, field, required=True, limit=limit)
    status = body.get("status", "paid")
    t = now()
    content = current_app.extensions["shopbot.content"].current()
    if status == "failed":
        return _failed(body, t, content)
    if status != "paid":
        return jsonify({"result": "ignored", "reason": f"status {status!r} is neither paid nor failed"})
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        if session.scalars(select(Payment).where(Payment.provider_id == body["payment_id"])).first():
            return jsonify({"result": "already recorded"})  # a replay changes nothing
        order = orders.by_reference(session, body["reference"], lock=True)
        if order is None:
            return error(404, f"no order {body['reference']}")
        if body["currency"].upper() != order.currency:
            return error(422, "currency does not match the order", details=[{"expected": order.currency}])
        try:
            amount = parse(body["amount"], order.currency)
        except MoneyError as exc:
            raise InvalidInput("amount", str(exc)) from None
        if amount != order.total:
            log.error("payment %s for %s: amount %s does not match the total %s; not recorded, handed to staff",
                      body["payment_id"], order.reference, amount, order.total)
            handoffs.for_order_problem(session, content, order.customer_id, HandoffReason.PROBLEM_ORDER,
                                       order.reference, t)
            return error(422, "amount does not match the order total",
                         details=[{"expected": order.total, "received": amount, "in": "minor units"}])
        if order.status not in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
            return error(409, f"order {order.reference} is {order.status}; it cannot be paid now")
        session.add(Payment(provider_id=body["payment_id"], order_id=order.id, amount=amount,
                            currency=order.currency, source="provider", created_at=t))
        orders.transition(session, order, "pay", "payment provider", t, note=f"payment {body['payment_id']}",
                          content=content)
        order.paid_at, order.paid_amount = t, amount
    log.info("order %s paid (payment %s)", order.reference, body["payment_id"])
    return jsonify({"result": "paid", "reference": order.reference})


def _failed(body: dict, t, content):
    """A failed payment: a person takes the customer's chat and the order stays as it is.

    Nothing is stored as a payment (providers often retry under the same id);
    a replayed failure finds the handoff already open and sends nothing new.
    A failure for an order that is already paid (an earlier attempt failed
    late, or the provider reports a retry) changes nothing: logged, ignored.
    """
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = orders.by_reference(session, body["reference"], lock=True)
        if order is None:
            return error(404, f"no order {body['reference']}")
        reference = order.reference
        if order.paid_at is not None:
            log.warning("payment %s for %s failed, but the order is already paid; ignored", body["payment_id"], reference)
            return jsonify({"result": "ignored", "reason": f"order {reference} is already paid",
                            "reference": reference})
        handoffs.for_order_problem(session, content, order.customer_id, HandoffReason.PAYMENT_FAILED,
                                   order.reference, t)
    log.warning("payment %s for %s failed; handed to staff", body["payment_id"], reference)
    return jsonify({"result": "failed payment handed to staff", "reference": reference})
