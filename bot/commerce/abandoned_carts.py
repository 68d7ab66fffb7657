"""Abandoned carts: one reminder for a cart left untouched for `abandoned_cart.after_minutes`.

Inside the customer's 24-hour window the reminder is a normal message whose
button shows the cart; outside it WhatsApp takes only an approved template,
and this one is marketing, so it goes only to customers who opted in
(`consent.may_send_marketing`), as the template `abandoned_cart` of
flows/templates.yaml, its URL button reopening the cart (`cart.code`).

A reminder never interrupts a chat: the customer's last message must also be
`after_minutes` old (a due cart waits, still armed, until they go quiet). A
cart whose items have all left the catalog is not reminded (there is nothing
to buy). A customer whose profile has no name is called "there" in the
template, as in a broadcast.

A cart is reminded at most once: every change of a non-empty cart sets
`Conversation.cart_idle_since` (bot.whatsapp.inbound), and the sweep clears it
whatever it decides, so only a later change arms the next reminder. Never
after the cart became an order (the order empties the cart, and an order
placed since the cart's last change counts too), never while a person has the
chat, never to a customer who wrote "stop". A cart whose customer is in the
checkout when it falls due gets the checkout's own reminder and expiry notice
instead (bot.commerce.checkout), not a third message.

Called by the sender's deadline sweep with its clock; a domain function: it
changes rows and queues messages in the caller's transaction.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.commerce import links
from bot.commerce.notifications import window_open
from bot.commerce.template_messages import automation_template, customer_values, is_template, template_spec
from bot.content.shop import Content
from bot.conversation.events import Event, EventType
from bot.conversation.shopping import cart_summary
from bot.conversation.states import StateName
from bot.conversation.turn import Turn, buttons
from bot.models import Conversation, Customer, Order
from bot.whatsapp import messaging_limit, outbox

SOURCE = "abandoned_cart"  # outbound_message.source: the automation's results are counted by it
TEMPLATE = "abandoned_cart"


def sweep(session: Session, content: Content, now: datetime, config: Mapping[str, Any]) -> int:
    """Remind every cart untouched for `after_minutes` once; the number of reminders queued.

    A template (outside the window) takes room in Meta's messaging limit; with none left, the cart
    stays due and a later sweep reminds it when the moving 24 hours make room."""
    public_url, secret = config.get("PUBLIC_URL"), config["SECRET_KEY"]
    room = messaging_limit.Allowance(session, config, now)
    minutes = content.abandoned_cart.after_minutes
    if minutes is None:
        return 0
    quiet_since = now - timedelta(minutes=minutes)
    due = session.scalars(select(Conversation).join(Customer, Customer.id == Conversation.customer_id)
                          .where(Conversation.cart_idle_since <= quiet_since,
                                 or_(Customer.last_inbound_at.is_(None), Customer.last_inbound_at <= quiet_since))
                          .with_for_update(of=Conversation, skip_locked=True))
    sent = 0
    for conversation in due:
        since, conversation.cart_idle_since = conversation.cart_idle_since, None  # once per untouched cart
        if conversation.state == StateName.CHECKOUT:
            continue  # the checkout has its own reminder and expiry notice: a third nudge would be too many
        customer = session.get_one(Customer, conversation.customer_id)
        if not _may_remind(session, conversation, customer, since):
            continue
        message = _reminder(content, conversation, customer, now, public_url, secret)
        if message is not None and is_template(message) and not room.spend():
            conversation.cart_idle_since = since  # no room in the messaging limit: a later sweep reminds it
            continue
        if message is not None:
            outbox.enqueue(session, customer, [message], now, source=SOURCE)
            sent += 1
    return sent


def _may_remind(session: Session, conversation: Conversation, customer: Customer, since: datetime | None) -> bool:
    """Not to a customer who said stop or whose chat a person has, nor for a cart already ordered."""
    if customer.opted_out_at is not None or conversation.state == StateName.HANDOFF:
        return False
    if not (conversation.data or {}).get("cart"):
        return False
    ordered = session.scalar(select(exists().where(Order.customer_id == customer.id, Order.created_at >= since))) \
        if since is not None else False
    return not ordered


def _reminder(content: Content, conversation: Conversation, customer: Customer, now: datetime,
              public_url: str | None, secret: str):
    """The normal message with its "View cart" button inside the window; the opted-in customer's
    template outside it; None when neither may be sent."""
    event = Event(EventType.SILENT, profile_name=customer.name, phone=customer.wa_id)
    turn = Turn(content, copy.deepcopy(conversation.data), event)
    summary = cart_summary(turn)
    if not summary["count"]:
        return None  # every item left the catalog: nothing to come back for
    if window_open(customer, now):
        return buttons(turn.text("cart_reminder", cart=summary), [("cart", turn.text("view_cart_button"))])
    entry = automation_template(content, customer, TEMPLATE, turn.lang) if public_url else None
    if entry is None:
        return None
    code = links.cart_code(secret, customer.id)
    values = {**customer_values(content, customer), "cart.total": summary["subtotal"], "cart.code": code,
              "cart.link": links.cart_link(public_url or "", secret, customer.id)}
    return template_spec(entry, values, "cart")
