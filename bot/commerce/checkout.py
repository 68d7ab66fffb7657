"""Turning a checkout into an order, from the chat or from the website.

`place_order`, `find_order` and `cancel_order` carry out the engine's effects
of those names (it never touches the database): inbound calls them through
`bot.conversation.actions` in the same transaction as the conversation step.
Each returns an `Outcome`: the customer's messages and, when the answer
moves the conversation (to the cart, the menu, a website order's checkout),
the state the engine's caller applies.
"""
from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.commerce import consent, inventory, order_status, order_view, orders, references
from bot.commerce.notifications import window_open
from bot.commerce.payments import payment_link
from bot.commerce.pricing import Quote, quote
from bot.content.shop import Content
from bot.conversation import checkout_flow, consent_flow, effects, states
from bot.conversation.effects import Context, Outcome, messages_of
from bot.conversation.events import Event, EventType
from bot.conversation.messages import Message
from bot.conversation.shopping import item_name, show
from bot.conversation.states import StateName
from bot.conversation.turn import Turn, buttons, cta_url, text
from bot.models import Conversation, Customer, Order, OrderLine, OrderSource, OrderStatus, PaymentStatus
from bot.whatsapp import outbox

log = logging.getLogger(__name__)

class OrderProblem(Exception):
    """The order cannot be placed as asked; `message` tells the customer why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _turn(content: Content, conversation: Conversation, customer: Customer, event: Event | None = None) -> Turn:
    """A turn over a private copy of the conversation's data: changes go back in an `Outcome`."""
    event = event or Event(EventType.SILENT, profile_name=customer.name, phone=customer.wa_id)
    return Turn(content, copy.deepcopy(conversation.data), event)


def reserve_lines(session: Session, figures: Quote, now: datetime) -> None:
    """Reserve every line's units, all or none (a savepoint undoes a partial reservation)."""
    savepoint = session.begin_nested()
    try:
        for line in figures.lines:
            inventory.reserve(session, line.sku, line.qty, now)
    except inventory.OutOfStock:
        savepoint.rollback()
        raise
    savepoint.commit()


def _write_lines(session: Session, order: Order, figures: Quote) -> None:
    for line in figures.lines:
        session.add(OrderLine(order_id=order.id, sku=line.sku, name=line.name, options=line.options,
                              quantity=line.qty, unit_price=line.unit, total=line.total))


def _insert_order(session: Session, order: Order, prefix: str) -> Order:
    """Insert with its reference; on the rare clash, draw a fresh random one."""
    for _attempt in range(5):
        savepoint = session.begin_nested()
        try:
            session.add(order)
            session.flush()
            savepoint.commit()
            return order
        except IntegrityError:
            savepoint.rollback()
            order.reference = references.make(prefix)
    raise RuntimeError("could not find a free order reference")


def place_order(ctx: Context, effect: effects.PlaceOrder) -> Outcome:
    """Confirm: create the pending order (or confirm the website's), reserve stock, empty the cart.

    A customer who never said yes or no to marketing is asked once, after the
    order is placed: the order comes first, and the question never stands
    between the customer and the payment button, which stays last.
    """
    session, content, customer, conversation, now = ctx.session, ctx.content, ctx.customer, ctx.conversation, ctx.now
    turn = _turn(content, conversation, customer, ctx.event)
    details = turn.data.get("checkout") or {}
    reference = effect.reference
    figures = quote(content.catalog, content.checkout, turn.cart, details.get("delivery"))
    try:
        if details.get("order_ref"):
            order = _confirm_website_order(session, content, customer, details, figures, now)
        else:
            order = _create_chat_order(session, content, customer, details, figures, reference, now)
    except inventory.OutOfStock as exc:
        available = exc.available or 0
        turn.cart = [dict(x, qty=min(x["qty"], available)) if x["sku"] == exc.sku else x
                     for x in turn.cart if x["sku"] != exc.sku or available > 0]
        state, replies = show(turn)
        note = text(turn.text("confirm_out_of_stock", item=item_name(turn, exc.sku), available=available))
        return Outcome([note, *messages_of(replies)], state, turn.data)
    except OrderProblem as exc:
        return Outcome([text(exc.message)], StateName.CART)
    # success: remember the answers for next time and clear the checkout
    variables = checkout_flow.order_variables(turn)
    variables["reference"] = order.reference
    data = turn.data
    kept = ("name", "delivery", "address", "location", "payment")
    data["last_details"] = {k: details[k] for k in kept if k in details}
    data["placed"] = [*data.get("placed", []), order.reference][-20:]
    data["cart"] = []
    data.pop("checkout", None)
    instructions, link = payment_instructions(content, order, turn.lang)
    body = turn.text("order_placed", order=variables, payment="" if link else instructions)
    placed: list[Message] = [buttons(body, [(f"cancel_order:{order.reference}", turn.text("cancel_order_button")),
                                            ("menu", turn.text("back_to_menu"))])]
    if not consent.answered(customer) and not data.get("offers_asked"):  # once, to who never said yes or no
        data["offers_asked"] = True
        placed.append(consent_flow.question(turn))
    if link:  # the payment page opens from a button, last, where the customer looks next
        placed.append(cta_url(instructions or link, turn.text("pay_button"), link))
    return Outcome(placed, StateName.MENU, data)


def _create_chat_order(session, content, customer, details, figures: Quote, reference, now) -> Order:
    if not figures.lines:
        raise OrderProblem(content.render("checkout_empty", customer.language, customer={"name": customer.name}))
    delivery = content.checkout.delivery_option(details.get("delivery"))
    source = OrderSource.WHATSAPP_CART if details.get("from_whatsapp_cart") else OrderSource.CHAT
    order = Order(reference=reference, customer_id=customer.id, status=OrderStatus.PENDING, source=source,
                  customer_name=details.get("name") or customer.name, phone=customer.wa_id,
                  delivery_method=delivery.id, delivery_title=delivery.title, expected_delivery=delivery.eta,
                  address=None if delivery.pickup else details.get("address"), location=details.get("location"),
                  payment_method=details.get("payment"), note=details.get("note") or None,
                  payment_status=orders.payment_status_at_checkout(
                      content.checkout.payment_option(details.get("payment"))),
                  currency=figures.currency, subtotal=figures.subtotal, shipping_fee=figures.fee,
                  total=figures.total, customer_confirmed_at=now, created_at=now, updated_at=now)
    reserve_lines(session, figures, now)
    order.stock_reserved = True
    _insert_order(session, order, content.checkout.reference_prefix)
    _write_lines(session, order, figures)
    orders.record_creation(session, order, "customer", now)
    log.info("order %s placed in chat (%d lines)", order.reference, len(figures.lines))
    return order


def _confirm_website_order(session, content, customer, details, figures: Quote, now) -> Order:
    """The customer confirms in chat an order the website created; the database is the truth."""
    order = session.scalars(select(Order).where(Order.reference == details["order_ref"]).with_for_update()).one()
    if order.status != OrderStatus.PENDING:
        raise OrderProblem(content.render("order_cannot_cancel", customer.language, customer={"name": customer.name},
                                          reference=order.reference, status=order.status.replace("_", " ")))
    lines = {(x.sku, x.quantity) for x in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))}
    if lines != {(x.sku, x.qty) for x in figures.lines}:  # the customer changed the items in chat
        if order.stock_reserved:
            orders.release_stock(session, order, now)
        reserve_lines(session, figures, now)
        order.stock_reserved = True
        for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
            session.delete(line)
        _write_lines(session, order, figures)
    delivery = content.checkout.delivery_option(details.get("delivery"))
    order.customer_id = customer.id
    order.customer_name = details.get("name") or order.customer_name
    order.phone = order.phone or customer.wa_id
    order.delivery_method, order.delivery_title, order.expected_delivery = delivery.id, delivery.title, delivery.eta
    order.address = None if delivery.pickup else details.get("address")
    order.location = details.get("location")
    order.payment_method = details.get("payment")
    if order.payment_status in (PaymentStatus.UNPAID, PaymentStatus.CASH_ON_DELIVERY):  # not paid online already
        order.payment_status = orders.payment_status_at_checkout(content.checkout.payment_option(order.payment_method))
    order.note = details.get("note") or order.note
    order.subtotal, order.shipping_fee, order.total = figures.subtotal, figures.fee, figures.total
    order.customer_confirmed_at, order.expires_at, order.updated_at = now, None, now
    log.info("website order %s confirmed in chat", order.reference)
    return order


def payment_instructions(content: Content, order: Order, lang: str | None = None) -> tuple[str, str]:
    """The payment option's instructions for `order` in `lang`, and its payment page ("" when it has none)."""
    option = content.checkout.payment_option(order.payment_method)
    if option is None:
        return "", ""
    link = payment_link(option.link, order.reference, order.total, order.currency) if option.link else ""
    variables = {"reference": order.reference, "total": order_view.money(content, order.total, order.currency, lang),
                 "name": order.customer_name}
    return option.instructions_in(lang).render(shop=content.shop, order=variables, payment_link=link).strip(), link


def find_order(ctx: Context, effect: effects.FindOrder) -> Outcome:
    """A reference in the customer's text: take over a website order, or say where an order is.

    Another customer's reference gets the same answer as an unknown one.
    """
    session, content, customer, conversation = ctx.session, ctx.content, ctx.customer, ctx.conversation
    turn = _turn(content, conversation, customer, ctx.event)
    reference = effect.reference
    order = session.scalars(select(Order).where(Order.reference == reference).with_for_update()).first()
    if order is None or (order.customer_id not in (None, customer.id)):
        return Outcome([text(turn.text("order_unknown", reference=reference))])
    if order.source == OrderSource.WEBSITE and order.customer_confirmed_at is None:
        if order.status != OrderStatus.PENDING:
            status = order.status.replace("_", " ")
            return Outcome([text(turn.text("order_status", reference=reference, status=status))])
        order.customer_id = customer.id
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        turn.cart = [{"sku": x.sku, "qty": x.quantity, "price": x.unit_price} for x in lines]
        details = {"ref": reference, "order_ref": reference}
        if order.customer_name:
            details["name"] = order.customer_name
        for key, value in (("delivery", order.delivery_method), ("address", order.address),
                           ("payment", order.payment_method)):
            if value:
                details[key] = value
        turn.data["checkout"] = details
        state, replies = checkout_flow.next_step(turn)
        found = text(turn.text("website_order_found", reference=reference))
        return Outcome([found, *messages_of(replies)], state, turn.data)
    if order.customer_id is None:
        return Outcome([text(turn.text("order_unknown", reference=reference))])
    return Outcome([order_status.details(session, content, customer, order)])


def cancel_order(ctx: Context, effect: effects.CancelOrder) -> Outcome:
    """The customer cancels a pending order from the chat; its stock goes back."""
    session, customer = ctx.session, ctx.customer
    turn = _turn(ctx.content, ctx.conversation, customer, ctx.event)
    reference = effect.reference
    order = session.scalars(select(Order).where(Order.reference == reference).with_for_update()).first()
    if order is None or order.customer_id != customer.id:
        return Outcome([text(turn.text("order_unknown", reference=reference))])
    if order.status != OrderStatus.PENDING:
        status = order.status.replace("_", " ")
        return Outcome([text(turn.text("order_cannot_cancel", reference=reference, status=status))])
    orders.transition(session, order, "cancel", "customer", ctx.now)
    return Outcome([text(turn.text("order_cancelled", reference=reference))])


def checkout_deadlines(content: Content, now: datetime) -> tuple[datetime, datetime]:
    options = content.checkout
    return (now + timedelta(minutes=options.remind_after_minutes),
            now + timedelta(minutes=options.expire_after_minutes))


def sweep_deadlines(session: Session, content: Content, now: datetime) -> dict[str, int]:
    """Remind unconfirmed checkouts, expire stale ones, release website orders never confirmed.

    Reminders and expiry notices go out only inside the 24-hour window (a
    free-form message outside it would be refused by WhatsApp anyway).
    """
    counts = {"reminded": 0, "expired": 0, "released": 0}
    due = session.scalars(select(Conversation).where(Conversation.remind_at <= now).with_for_update(skip_locked=True))
    for conversation in due:
        customer = session.get_one(Customer, conversation.customer_id)
        conversation.remind_at = None
        if conversation.state == checkout_flow.CHECKOUT and window_open(customer, now) and not customer.opted_out_at:
            turn = _turn(content, conversation, customer)
            outbox.enqueue(session, customer, [buttons(turn.text("checkout_reminder"),
                                                       [("checkout", turn.text("checkout_button"))])], now)
            counts["reminded"] += 1
    expired = session.scalars(select(Conversation).where(Conversation.expires_at <= now)
                              .with_for_update(skip_locked=True))
    for conversation in expired:
        customer = session.get_one(Customer, conversation.customer_id)
        conversation.remind_at = conversation.expires_at = None
        if conversation.state != checkout_flow.CHECKOUT:
            continue
        states.expire_checkout(conversation)
        counts["expired"] += 1
        if window_open(customer, now):
            note = text(_turn(content, conversation, customer).text("checkout_expired"))
            outbox.enqueue(session, customer, [note], now)
    stale = session.scalars(select(Order).where(
        Order.expires_at <= now, Order.status == OrderStatus.PENDING, Order.customer_confirmed_at.is_(None),
    ).with_for_update(skip_locked=True))
    for order in stale:
        orders.transition(session, order, "cancel", "system", now, note="not confirmed in chat in time",
                          content=content)
        order.expires_at = None
        counts["released"] += 1
        log.info("website order %s expired unconfirmed; stock released", order.reference)
    return counts
