"""Order status changes, in one place: `transition(session, order, event, actor)`.

The table below is the whole lifecycle. Every change is checked against it,
written to the order's history, and (from the post-purchase issue on)
queues the customer's update in the same transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import inventory
from bot.errors import InvalidInput, ShopbotError
from bot.models import Order, OrderHistory, OrderLine
from bot.models import OrderStatus as S


class IllegalTransition(ShopbotError):
    """The event does not apply to the order's current status."""

    def __init__(self, order: Order, event: str, target: str | None = None):
        """`event` is the internal name (ship, pay); the message speaks of statuses only, which is
        what staff and API clients set: "order SHP-7K3F9 is shipped; it can move to
        out_for_delivery or delivered, not flying"."""
        self.order, self.event = order, event
        wanted = target or next((str(new) for (_s, e), new in TRANSITIONS.items() if e == event), event)
        nexts = sorted({str(new) for (state, _e), new in TRANSITIONS.items() if state == order.status})
        can = (f"it can move to {', '.join(nexts[:-1])} or {nexts[-1]}" if len(nexts) > 1
               else f"it can move to {nexts[0]}" if nexts else "it cannot move any more")
        known = wanted in {str(s) for s in S}
        super().__init__(f"order {order.reference} is {order.status}; {can}, not {wanted}" if known else
                         f"`{wanted}` is not an order status (statuses: {', '.join(str(s) for s in S)});"
                         f" order {order.reference} is {order.status} and {can}")


#: (current status, event) -> new status
TRANSITIONS: dict[tuple[S, str], S] = {
    (S.PENDING, "confirm"): S.CONFIRMED,
    (S.PENDING, "pay"): S.PAID,
    (S.PENDING, "cancel"): S.CANCELLED,
    (S.CONFIRMED, "pay"): S.PAID,
    (S.CONFIRMED, "cash_on_delivery"): S.CASH_ON_DELIVERY,
    (S.CONFIRMED, "cancel"): S.CANCELLED,
    (S.PAID, "prepare"): S.PREPARED,
    (S.PAID, "refund"): S.REFUNDED,
    (S.CASH_ON_DELIVERY, "prepare"): S.PREPARED,
    (S.CASH_ON_DELIVERY, "cancel"): S.CANCELLED,
    (S.PREPARED, "ship"): S.SHIPPED,
    (S.PREPARED, "cancel"): S.CANCELLED,
    (S.SHIPPED, "out_for_delivery"): S.OUT_FOR_DELIVERY,
    (S.SHIPPED, "deliver"): S.DELIVERED,
    (S.OUT_FOR_DELIVERY, "deliver"): S.DELIVERED,
    (S.DELIVERED, "refund"): S.REFUNDED,
}

#: Statuses whose stock is still held for the order (a cancellation gives it back).
HOLDS_STOCK = {S.PENDING, S.CONFIRMED, S.PAID, S.CASH_ON_DELIVERY, S.PREPARED}


def transition(session: Session, order: Order, event: str, actor: str, now: datetime,
               note: str | None = None, content=None) -> S:
    """Apply `event` to `order`; raises IllegalTransition.

    Writes the history row and, given the shop's `content`, queues the
    customer's update and (on the configured status) the invoice, all in the
    caller's transaction.
    """
    current = S(order.status)
    new = TRANSITIONS.get((current, event))
    if new is None:
        raise IllegalTransition(order, event)
    if new is S.CANCELLED and current in HOLDS_STOCK and order.stock_reserved:
        release_stock(session, order, now)
    order.status = new
    order.updated_at = now
    session.add(OrderHistory(order_id=order.id, from_status=current, to_status=new, event=event,
                             actor=actor, note=note, at=now))
    if content is not None:
        from bot.commerce import invoices, notifications

        notifications.notify(session, content, order, now)
        if new.value == content.invoice.send_on or (content.invoice.send_on == "confirmed" and new in (
                S.CASH_ON_DELIVERY, S.PAID) and current is S.PENDING):
            invoice = invoices.create_builtin(session, content, order, now)
            if invoice is not None and order.customer_id is not None:
                from bot.models import Customer
                from bot.whatsapp import outbox

                customer = session.get_one(Customer, order.customer_id)
                document = invoices.document_message(content, invoice, order, customer.language)
                outbox.enqueue(session, customer, [document], now, cause=f"invoice:{order.reference}")
    return new


def apply(session: Session, content, order: Order, event: str, actor: str, now: datetime,
          carrier: str | None = None, tracking_number: str | None = None, note: str | None = None) -> S:
    """A status change asked for by a person or a system: the API, the order desk and the CLI all come here.

    Shipping needs a known carrier and a tracking number; marking paid by
    hand records the full amount. When the order gets a tracking number, the
    carrier events held for it are applied (tracking.apply_held). Raises
    InvalidInput or IllegalTransition.
    """
    if carrier is not None and carrier not in content.carriers:
        raise InvalidInput("carrier", "unknown carrier; use one of " + ", ".join(sorted(content.carriers)))
    if tracking_number is not None and len(tracking_number) > TRACKING_LENGTH:
        raise InvalidInput("tracking_number", f"must be at most {TRACKING_LENGTH} characters")
    if (S(order.status), event) not in TRANSITIONS:
        raise IllegalTransition(order, event)  # before anything changes: the caller may still commit
    tracked = order.carrier, order.tracking_number
    if event == "ship":
        if not (carrier or order.carrier) or not (tracking_number or order.tracking_number):
            raise InvalidInput("tracking_number", "shipping needs a carrier and a tracking number")
        order.carrier, order.tracking_number = carrier or order.carrier, tracking_number or order.tracking_number
    new = transition(session, order, event, actor, now, note=note, content=content)
    if new is S.PAID and order.paid_at is None:
        order.paid_at, order.paid_amount = now, order.total
    if (order.carrier, order.tracking_number) != tracked:
        from bot.commerce import tracking

        tracking.apply_held(session, content, order, now)  # events the carrier sent before we had the number
    return new


#: The longest reference and tracking number the order table holds.
REFERENCE_LENGTH, TRACKING_LENGTH = Order.reference.type.length, Order.tracking_number.type.length


def by_reference(session: Session, reference: str, lock: bool = False) -> Order | None:
    """The order with this reference, in any case (locked FOR UPDATE with `lock`).

    None also for text that cannot be a reference (too long, a NUL character),
    which the database would refuse with an error instead of finding nothing.
    """
    if not reference or len(reference) > REFERENCE_LENGTH or not reference.isprintable():
        return None
    stmt = select(Order).where(Order.reference == reference.upper())
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def release_stock(session: Session, order: Order, now: datetime) -> None:
    for line in session.query(OrderLine).filter_by(order_id=order.id):
        inventory.release(session, line.sku, line.quantity, now)
    order.stock_reserved = False


def record_creation(session: Session, order: Order, actor: str, now: datetime) -> None:
    session.add(OrderHistory(order_id=order.id, from_status=None, to_status=order.status, event="create",
                             actor=actor, at=now))


def event_for(order: Order, target: str) -> str:
    """The event that moves `order` to status `target`; raises IllegalTransition."""
    try:
        wanted = S(target)
    except ValueError:
        raise IllegalTransition(order, f"set {target}", target) from None
    event = next((e for (state, e), new in TRANSITIONS.items() if state == order.status and new == wanted), None)
    if event is None:
        raise IllegalTransition(order, f"set {target}", target)
    return event
