"""Order changes, in one place: `apply` for people and systems, `transition` for one step.

An order moves on two axes, as a shop works (and as Shopify keeps them):
fulfilment, its `status` (pending → confirmed → prepared → shipped → out for
delivery → delivered, or cancelled), and payment, its `payment_status`
(unpaid, cash on delivery, paid, refunded), which the payment chosen at
checkout sets. The two tables below are the whole lifecycle. Every change is
checked against them, written to the order's history, and queues the
customer's update in the same transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import inventory
from bot.errors import InvalidInput, ShopbotError
from bot.models import Order, OrderHistory, OrderLine
from bot.models import OrderStatus as S
from bot.models import PaymentStatus as P

#: (status, event) -> new status: where the order is.
FULFILMENT: dict[tuple[S, str], S] = {
    (S.PENDING, "confirm"): S.CONFIRMED,
    (S.PENDING, "cancel"): S.CANCELLED,
    (S.CONFIRMED, "prepare"): S.PREPARED,
    (S.CONFIRMED, "cancel"): S.CANCELLED,
    (S.PREPARED, "ship"): S.SHIPPED,
    (S.PREPARED, "cancel"): S.CANCELLED,
    (S.SHIPPED, "out_for_delivery"): S.OUT_FOR_DELIVERY,
    (S.SHIPPED, "deliver"): S.DELIVERED,
    (S.OUT_FOR_DELIVERY, "deliver"): S.DELIVERED,
}

#: (payment status, event) -> new payment status: whether it is paid. `collect` is the cash taken
#: when a cash-on-delivery order is delivered.
PAYMENT: dict[tuple[P, str], P] = {
    (P.UNPAID, "pay"): P.PAID,
    (P.UNPAID, "cash_on_delivery"): P.CASH_ON_DELIVERY,
    (P.CASH_ON_DELIVERY, "pay"): P.PAID,
    (P.CASH_ON_DELIVERY, "collect"): P.PAID,
    (P.PAID, "refund"): P.REFUNDED,
}

#: The status or payment status each event sets, for the statuses staff and API clients ask for.
TARGETS: dict[str, str] = {str(new): event for table in (FULFILMENT, PAYMENT) for (_s, event), new in table.items()
                           if event != "collect"}

TARGETS_BY_EVENT = {event: status for status, event in TARGETS.items()}
PAYMENT_EVENTS = {event for (_p, event) in PAYMENT}

#: Fulfilment steps that need the payment settled first (paid, or cash on delivery).
NEEDS_PAYMENT = {"prepare", "ship"}

#: Statuses whose stock is still held for the order (a cancellation gives it back).
HOLDS_STOCK = {S.PENDING, S.CONFIRMED, S.PREPARED}

#: Payment changes that stop once the order is on its way (cash on delivery is chosen before).
BEFORE_SHIPPING = {S.PENDING, S.CONFIRMED, S.PREPARED}


class IllegalTransition(ShopbotError):
    """The event does not apply to the order's current statuses."""

    def __init__(self, order: Order, event: str, target: str | None = None, reason: str | None = None):
        """`event` is the internal name (ship, pay); the message speaks of statuses only, which is
        what staff and API clients set: "order SHP-7K3F9 is shipped and paid; it can move to
        out_for_delivery, delivered or refunded, not flying"."""
        self.order, self.event = order, event
        wanted = target or next((status for status, e in TARGETS.items() if e == event), event)
        nexts = next_statuses(order)
        can = (f"it can move to {', '.join(nexts[:-1])} or {nexts[-1]}" if len(nexts) > 1
               else f"it can move to {nexts[0]}" if nexts else "it cannot move any more")
        where = f"order {order.reference} is {order.status} and {order.payment_status or P.UNPAID}"
        if reason:
            super().__init__(f"{where}; {reason}")
        elif wanted in TARGETS or wanted in {str(s) for s in (*S, *P)}:
            super().__init__(f"{where}; {can}, not {wanted}")
        else:
            statuses = ", ".join(str(s) for s in (*S, P.CASH_ON_DELIVERY, P.PAID, P.REFUNDED))
            super().__init__(f"`{wanted}` is not an order status (statuses: {statuses}); {where} and {can}")


def next_statuses(order: Order, skip_steps: bool = False) -> list[str]:
    """The statuses and payment statuses `order` can be set to now (with `skip_steps`, the later
    fulfilment statuses too), sorted."""
    found = {str(new) for (status, event), new in FULFILMENT.items()
             if status == order.status and _payment_allows(order, event)}
    if skip_steps and order.status != S.PENDING:
        found |= {str(target) for target in SKIP_TO if target in _later(S(order.status)) and _path(order, target)}
    found |= {str(PAYMENT[key]) for key in PAYMENT if key[0] == _payment(order) and refusal(order, key[1]) is None
              and key[1] != "collect"}
    return sorted(found)


def _payment(order: Order) -> P:
    return P(order.payment_status or P.UNPAID)


def _payment_allows(order: Order, event: str) -> bool:
    return event not in NEEDS_PAYMENT or _payment(order) != P.UNPAID


def refusal(order: Order, event: str) -> IllegalTransition | None:
    """Why `event` cannot apply to `order` now; None when it can."""
    if event in PAYMENT_EVENTS:
        if (_payment(order), event) not in PAYMENT or (event == "cash_on_delivery"
                                                        and order.status not in BEFORE_SHIPPING):
            return IllegalTransition(order, event)
        return None
    if (S(order.status), event) not in FULFILMENT:
        return IllegalTransition(order, event)
    if not _payment_allows(order, event):
        return IllegalTransition(order, event, reason=f"it is {TARGETS_BY_EVENT[event]} once paid or cash_on_delivery")
    return None


#: What staff may set straight away when the shop allows skipping steps: a confirmed (or prepared)
#: order shipped in one click. A pending order is confirmed first: that is the shop accepting it.
SKIP_TO = {S.SHIPPED}

CHAIN = [S.PENDING, S.CONFIRMED, S.PREPARED, S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED]


def _later(status: S) -> list[S]:
    """Fulfilment statuses after `status` on the way to delivered."""
    return CHAIN[CHAIN.index(status) + 1:] if status in CHAIN else []


def _path(order: Order, target: S) -> list[str]:
    """The events that take `order` to the later `target` one step after another, each allowed
    by its payment, taking the shortest way (shipped -> delivered skips out_for_delivery); [] when
    there is none."""
    events: list[str] = []
    status = S(order.status)
    while status != target:
        steps = {new: e for (s, e), new in FULFILMENT.items() if s == status and new in CHAIN}
        if not steps:
            return []
        status = target if target in steps else min(steps, key=CHAIN.index)
        if not _payment_allows(order, steps[status]):
            return []
        events.append(steps[status])
    return events


def transition(session: Session, order: Order, event: str, actor: str, now: datetime,
               note: str | None = None, content=None) -> str:
    """Apply one `event` to `order`, on the axis it belongs to; raises IllegalTransition.

    Writes the history row and, given the shop's `content`, queues the
    customer's update and (on the configured status) the invoice, all in the
    caller's transaction. A payment on a pending order confirms it too; a
    cash-on-delivery order delivered is paid.
    """
    refused = refusal(order, event)
    if refused is not None:
        raise refused
    if event in PAYMENT_EVENTS:
        return _pay(session, order, event, actor, now, note, content)
    current = S(order.status)
    new = FULFILMENT[(current, event)]
    if new is S.CANCELLED and current in HOLDS_STOCK and order.stock_reserved:
        release_stock(session, order, now)
    order.status = new
    order.updated_at = now
    session.add(OrderHistory(order_id=order.id, from_status=current, to_status=new, event=event,
                             actor=actor, note=note, at=now))
    if new is S.DELIVERED and _payment(order) is P.CASH_ON_DELIVERY:
        _pay(session, order, "collect", actor, now, "cash collected on delivery", None)
    if content is not None:
        _tell(session, content, order, str(new), now, invoice_on={"confirmed"} if new is S.CONFIRMED else set())
    return new


def _pay(session: Session, order: Order, event: str, actor: str, now: datetime, note: str | None,
         content) -> str:
    current = _payment(order)
    new = PAYMENT[(current, event)]
    order.payment_status = new
    order.updated_at = now
    if new is P.PAID and order.paid_at is None:
        order.paid_at, order.paid_amount = now, order.total
    session.add(OrderHistory(order_id=order.id, from_status=current, to_status=new, event=event,
                             actor=actor, note=note, at=now))
    confirming = order.status == S.PENDING and event in ("pay", "cash_on_delivery")
    if confirming:
        transition(session, order, "confirm", actor, now, note=f"confirmed by {TARGETS_BY_EVENT[event]}")
    if content is not None:
        _tell(session, content, order, str(new), now,
              invoice_on=({"paid"} if new is P.PAID else set()) | ({"confirmed"} if confirming else set()))
    return new


def _tell(session: Session, content, order: Order, change: str, now: datetime, invoice_on: set[str]) -> None:
    """The customer's update for `change`, and the invoice when the shop sends it on this change."""
    from bot.commerce import invoices, notifications

    notifications.notify(session, content, order, change, now)
    if content.invoice.send_on in invoice_on:
        created = invoices.create_builtin(session, content, order, now)
        if created is not None and order.customer_id is not None:
            from bot.models import Customer
            from bot.whatsapp import outbox

            customer = session.get_one(Customer, order.customer_id)
            document = invoices.document_message(content, created, order, customer.language)
            outbox.enqueue(session, customer, [document], now, cause=f"invoice:{order.reference}")


def apply(session: Session, content, order: Order, event: str, actor: str, now: datetime,
          carrier: str | None = None, tracking_number: str | None = None, note: str | None = None) -> str:
    """A change asked for by a person or a system: the API, the order desk and the CLI all come here.

    Shipping needs a known carrier and a tracking number. When the shop
    allows skipping steps (`order_desk: skip_steps`), a confirmed order can be
    shipped at once: it goes through the steps between, each recorded as
    skipped (prepared, then shipped). When the order gets a
    tracking number, the carrier events held for it are applied
    (tracking.apply_held). Raises InvalidInput or IllegalTransition.
    """
    if carrier is not None and carrier not in content.carriers:
        raise InvalidInput("carrier", "unknown carrier; use one of " + ", ".join(sorted(content.carriers)))
    if tracking_number is not None and len(tracking_number) > TRACKING_LENGTH:
        raise InvalidInput("tracking_number", f"must be at most {TRACKING_LENGTH} characters")
    steps = _steps(content, order, event)  # before anything changes: the caller may still commit
    tracked = order.carrier, order.tracking_number
    if "ship" in steps:
        if not (carrier or order.carrier) or not (tracking_number or order.tracking_number):
            raise InvalidInput("tracking_number", "shipping needs a carrier and a tracking number")
        order.carrier, order.tracking_number = carrier or order.carrier, tracking_number or order.tracking_number
    new = ""
    for step in steps:  # the steps skipped are recorded, and the customer hears only of the last
        last = step == steps[-1]
        new = transition(session, order, step, actor, now, content=content if last else None,
                         note=note if last else f"skipped: set straight to {TARGETS_BY_EVENT[steps[-1]]}")
    if (order.carrier, order.tracking_number) != tracked:
        from bot.commerce import tracking

        tracking.apply_held(session, content, order, now)  # events the carrier sent before we had the number
    return new


def _steps(content, order: Order, event: str) -> list[str]:
    """The events `event` stands for on `order`: itself, or with skipping allowed the steps to its
    status; raises IllegalTransition when it does not apply."""
    refused = refusal(order, event)
    if refused is None:
        return [event]
    target = TARGETS_BY_EVENT.get(event)
    allowed = content is not None and content.handoff.skip_steps and order.status != S.PENDING
    path = _path(order, S(target)) if allowed and target in SKIP_TO and S(target) in _later(S(order.status)) else []
    if not path:
        raise refused
    return path


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


def payment_status_at_checkout(option) -> P:
    """The payment chosen at checkout sets the payment status: cash on delivery from the start
    for an option paid on arrival (`on_delivery: true`), so staff need not mark it; else unpaid."""
    return P.CASH_ON_DELIVERY if option is not None and option.on_delivery else P.UNPAID


def event_for(order: Order, target: str) -> str:
    """The event that sets `target` (a status or a payment status); raises IllegalTransition for a
    word that is neither. Whether it applies to `order` now, `apply` decides."""
    event = TARGETS.get(target)
    if event is None:
        raise IllegalTransition(order, f"set {target}", target)
    return event
