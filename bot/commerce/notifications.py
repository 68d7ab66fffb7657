"""Telling the customer when their order changes, the right way for the 24-hour window.

Inside the window: the owner's text with Track and Talk-to-us buttons.
Outside it: the approved template configured for that status. With neither,
the update is held (an outbox row that waits) and goes out when the customer
next writes, and the order is flagged. All of it is written in the same
transaction as the status change, so an update is never sent twice or lost.

Changes made close together (staff confirming, packing and shipping in a
minute) reach the customer as one message about the latest: the first change
sets the order's `update_due_at` (`combine_within_seconds` later), later ones
only replace `pending_update`, and the sender's sweep sends it (`send_due`).
Nothing waits in the outbox meanwhile, so the customer's chat is not held up.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.commerce import order_view
from bot.content.shop import Content
from bot.conversation.messages import Button, Buttons, Template
from bot.models import Customer, Order, OutboundMessage, OutboundStatus
from bot.whatsapp import outbox

WINDOW = outbox.WINDOW


def window_open(customer: Customer, now: datetime) -> bool:
    return (customer.last_inbound_at is not None and now - customer.last_inbound_at < WINDOW
            and customer.window_closed_at is None)


def status_message(content: Content, order: Order, customer: Customer, change: str | None = None) -> Buttons:
    """The update about `change` (the order's status by default) in the customer's language."""
    lang = customer.language
    variables = order_view.variables(content, order, lang=lang)
    body = content.render(f"status_{change or order.status}", lang, customer={"name": customer.name},
                          order=variables)
    return Buttons(body, (Button(f"track:{order.reference}", content.render("track_button", lang)),
                          Button("talk", content.render("talk_button", lang))))


def template_message(content: Content, order: Order, status: str) -> Template | None:
    template = content.notifications.templates.get(status)
    if template is None:
        return None
    variables = order_view.variables(content, order, lang=template.language)
    params = tuple(p.render(shop=content.shop, order=variables, customer={"name": variables["name"]}).strip()
                   for p in template.params)
    return Template(template.name, template.language, params)


def notify(session: Session, content: Content, order: Order, change: str, now: datetime) -> None:
    """The order's status or payment status became `change`: tell the customer (if the owner wants
    them told), now or with the changes that follow within the shop's window."""
    if change not in content.notifications.notify or order.customer_id is None:
        return
    window = content.notifications.combine_within_seconds
    order.pending_update = change
    if window <= 0:
        send(session, content, order, now)
    elif order.update_due_at is None:
        order.update_due_at = now + timedelta(seconds=window)


def send_due(session: Session, content: Content, now: datetime) -> int:
    """Send the combined updates whose window has passed; how many went out."""
    due = session.scalars(select(Order).where(Order.update_due_at <= now).with_for_update(skip_locked=True)).all()
    for order in due:
        send(session, content, order, now)
    return len(due)


def send(session: Session, content: Content, order: Order, now: datetime) -> int | None:
    """Queue the customer's update for the order's latest change; its row's id (None: not sent)."""
    change, order.pending_update, order.update_due_at = order.pending_update, None, None
    if not change or order.customer_id is None:
        return None
    customer = session.get_one(Customer, order.customer_id)
    if customer.opted_out_at is not None:
        return None  # the customer said "stop"
    cause = f"order:{order.reference}:{change}"
    if window_open(customer, now):
        return outbox.enqueue(session, customer, [status_message(content, order, customer, change)], now,
                              cause=cause)[0]
    template = template_message(content, order, change)
    if template is not None:
        return outbox.enqueue(session, customer, [template], now, cause=cause)[0]
    [row_id] = outbox.enqueue(session, customer, [status_message(content, order, customer, change)], now,
                              cause=cause, status=OutboundStatus.HELD)
    order.held_updates += 1
    return row_id


def release_held(session: Session, customer: Customer, now: datetime) -> int:
    """The customer wrote: their held updates go out now, oldest first, before the new reply."""
    held = session.scalars(select(OutboundMessage).where(
        OutboundMessage.customer_id == customer.id, OutboundMessage.status == OutboundStatus.HELD)).all()
    for row in held:
        row.status, row.next_attempt_at = OutboundStatus.QUEUED, now
    if held:
        session.execute(update(Order).where(Order.customer_id == customer.id, Order.held_updates > 0)
                        .values(held_updates=0))
    return len(held)
