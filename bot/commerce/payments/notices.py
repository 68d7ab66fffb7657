"""What a payment notice does to its order: paid once, failures to a person, mismatches refused."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import orders
from bot.commerce.payments import NoticeStatus, PaymentNotice
from bot.content.shop import Content
from bot.models import HandoffReason, OrderStatus, Payment
from bot.staff import handoffs

log = logging.getLogger(__name__)


class Result(StrEnum):
    PAID = "paid"
    ALREADY_RECORDED = "already recorded"  # a replay of a recorded payment id
    FAILED = "failed payment handed to staff"
    IGNORED_ALREADY_PAID = "ignored"  # a failure reported for an order that is paid
    NO_ORDER = "no order"
    CURRENCY_MISMATCH = "currency mismatch"
    AMOUNT_MISMATCH = "amount mismatch"  # not recorded; handed to staff
    NOT_PAYABLE = "not payable"  # the order's status does not take a payment


@dataclass(frozen=True)
class Recorded:
    """A notice's result; `expected` is the order's currency or total when the notice does not match it."""

    result: Result
    reference: str
    status: str | None = None
    expected: int | str | None = None


def record(session: Session, content: Content, notice: PaymentNotice, now: datetime) -> Recorded:
    """Apply a verified notice: mark the order paid (once per payment id, only for the exact total),
    or hand a failed payment to a person. Never commits."""
    if notice.status is NoticeStatus.FAILED:
        return _failed(session, content, notice, now)
    if session.scalars(select(Payment).where(Payment.provider_id == notice.payment_id)).first():
        return Recorded(Result.ALREADY_RECORDED, notice.reference)
    order = orders.by_reference(session, notice.reference, lock=True)
    if order is None:
        return Recorded(Result.NO_ORDER, notice.reference)
    if notice.currency != order.currency:
        return Recorded(Result.CURRENCY_MISMATCH, order.reference, expected=order.currency)
    if notice.amount_minor != order.total:
        log.error("payment %s for %s: amount %s does not match the total %s; not recorded, handed to staff",
                  notice.payment_id, order.reference, notice.amount_minor, order.total)
        handoffs.for_order_problem(session, content, order.customer_id, HandoffReason.PROBLEM_ORDER,
                                   order.reference, now)
        return Recorded(Result.AMOUNT_MISMATCH, order.reference, expected=order.total)
    if order.status == OrderStatus.CANCELLED or orders.refusal(order, "pay") is not None:
        return Recorded(Result.NOT_PAYABLE, order.reference, status=order.status)
    session.add(Payment(provider_id=notice.payment_id, order_id=order.id, amount=notice.amount_minor,
                        currency=order.currency, source="provider", created_at=now))
    order.paid_at, order.paid_amount = now, notice.amount_minor
    orders.transition(session, order, "pay", "payment provider", now, note=f"payment {notice.payment_id}",
                      content=content)
    log.info("order %s paid (payment %s)", order.reference, notice.payment_id)
    return Recorded(Result.PAID, order.reference)


def _failed(session: Session, content: Content, notice: PaymentNotice, now: datetime) -> Recorded:
    """A failed payment: a person takes the customer's chat and the order stays as it is.

    Nothing is stored as a payment (providers often retry under the same id);
    a replayed failure finds the handoff already open and sends nothing new.
    A failure for an order that is already paid (an earlier attempt failed
    late, or the provider reports a retry) changes nothing: logged, ignored.
    """
    order = orders.by_reference(session, notice.reference, lock=True)
    if order is None:
        return Recorded(Result.NO_ORDER, notice.reference)
    if order.paid_at is not None:
        log.warning("payment %s for %s failed, but the order is already paid; ignored", notice.payment_id,
                    order.reference)
        return Recorded(Result.IGNORED_ALREADY_PAID, order.reference)
    handoffs.for_order_problem(session, content, order.customer_id, HandoffReason.PAYMENT_FAILED, order.reference, now)
    log.warning("payment %s for %s failed; handed to staff", notice.payment_id, order.reference)
    return Recorded(Result.FAILED, order.reference)
