"""Back in stock: a customer who met a sold-out product asks to hear when it returns, and hears once.

The engine offers "Tell me when it's back" beside a sold-out product or
option; tapping it asks for `AlertWhenBack`, which `subscribe` stores as a
waiting `StockAlert`. The sender's deadline sweep (`send_due`) looks at the
waiting alerts against the live stock levels, so any way stock comes back
counts: a catalog edit that raises a count (hot reload, then
`inventory.sync`), an order cancelled or expired releasing its units, a
count staff changed. Each alert goes out once and is then done; the customer
taps again to hear about the next time.

Inside the 24-hour window the alert is a normal message with buttons to add
the option or see the product; outside it, the approved marketing template
`back_in_stock` of flows/templates.yaml, only to customers who opted in. A
customer who wrote "stop" gets nothing (the alert is closed); while a person
has the chat the alert waits for the chat to come back to the bot.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce.catalog import Product, Variant
from bot.commerce.notifications import window_open
from bot.commerce.template_messages import automation_template, customer_values, is_template, template_spec
from bot.content.shop import Content
from bot.conversation import effects
from bot.conversation.effects import Context, Outcome
from bot.conversation.events import Event, EventType
from bot.conversation.shopping import item_name
from bot.conversation.states import StateName
from bot.conversation.turn import Turn, buttons
from bot.db import insert_ignore
from bot.models import Conversation, Customer, StockAlert, StockLevel
from bot.whatsapp import messaging_limit, outbox

SOURCE = "back_in_stock"  # outbound_message.source: the automation's results are counted by it
TEMPLATE = "back_in_stock"


def subscribe(ctx: Context, effect: effects.AlertWhenBack) -> Outcome:
    """Store the customer's wish to hear when the product (or option) is back; tapping twice stores one.

    The engine has already confirmed it to the customer; an unknown product is ignored (the catalog
    changed under an old button)."""
    if ctx.content.catalog.product(effect.product_id) is None:
        return Outcome()
    ctx.session.execute(insert_ignore(ctx.session, StockAlert).values(
        customer_id=ctx.customer.id, product_id=effect.product_id, sku=effect.sku, created_at=ctx.now))
    return Outcome()


def _back_in_stock(session: Session, content: Content) -> dict[str, list[Variant]]:
    """Product id -> its options that can be bought now, for the products customers wait for.

    Two queries whatever the number of alerts (the sweep runs every 10 seconds): the products with
    waiting alerts, then the stock levels of their options. An option with no stock row (not synced
    yet) counts as sold out; `on_hand` None is a product sold without counting (always in stock)."""
    waited = session.scalars(select(StockAlert.product_id).where(StockAlert.sent_at.is_(None)).distinct()).all()
    variants = {pid: product.active_variants for pid in waited if (product := content.catalog.product(pid))}
    skus = [v.sku for options in variants.values() for v in options]
    if not skus:
        return {}
    levels: dict[str, int | None] = {sku: on_hand for sku, on_hand in session.execute(
        select(StockLevel.sku, StockLevel.on_hand).where(StockLevel.sku.in_(skus)))}
    found = {pid: [v for v in options if v.sku in levels and (levels[v.sku] is None or (levels[v.sku] or 0) > 0)]
             for pid, options in variants.items()}
    return {pid: options for pid, options in found.items() if options}


def send_due(session: Session, content: Content, now: datetime, config: Mapping[str, Any]) -> int:
    """Send every waiting alert whose product (or option) is back; the number of messages queued.

    A template (outside the window) takes room in Meta's messaging limit; with none left, the alert
    keeps waiting for a later sweep."""
    room = messaging_limit.Allowance(session, config, now)
    back = _back_in_stock(session, content)
    if not back:
        return 0
    waiting = session.scalars(select(StockAlert).where(StockAlert.sent_at.is_(None),
                                                       StockAlert.product_id.in_(list(back)))
                              .order_by(StockAlert.id).with_for_update(skip_locked=True)).all()
    sent = 0
    for alert in waiting:
        variant = next((v for v in back[alert.product_id] if not alert.sku or v.sku == alert.sku), None)
        if variant is None:
            continue  # another option of the product came back, not the one this customer wants
        customer = session.get_one(Customer, alert.customer_id)
        conversation = session.get(Conversation, customer.id)
        if conversation is not None and conversation.state == StateName.HANDOFF:
            continue  # a person has the chat: the alert waits for the bot to have it again
        alert.sent_at = now  # done, whatever is sent: one alert per tap
        if customer.opted_out_at is not None:
            continue
        product = content.catalog.product_of(variant)
        message = _alert(content, conversation, customer, now, product, variant, whole_product=not alert.sku)
        if message is not None and is_template(message) and not room.spend():
            alert.sent_at = None  # no room in the messaging limit: it waits for a later sweep
            continue
        if message is not None:
            outbox.enqueue(session, customer, [message], now, source=SOURCE)
            sent += 1
    return sent


def _alert(content: Content, conversation: Conversation | None, customer: Customer, now: datetime,
           product: Product, variant: Variant, whole_product: bool):
    """The normal message inside the window, the opted-in customer's template outside it, else None."""
    data = copy.deepcopy(conversation.data) if conversation is not None else {"language": customer.language}
    turn = Turn(content, data, Event(EventType.SILENT, profile_name=customer.name, phone=customer.wa_id))
    if window_open(customer, now):
        item = product.name_in(turn.lang) if whole_product else item_name(turn, variant.sku)
        options = [(f"product:{product.id}", turn.text("see_product_button"))]
        if not (whole_product and product.option_names):
            options.insert(0, (f"add:{variant.sku}", turn.text("add_button")))
        return buttons(turn.text("back_in_stock", item=item), options)
    entry = automation_template(content, customer, TEMPLATE, turn.lang)
    if entry is None:
        return None
    values = {**customer_values(content, customer), "product.name": product.name_in(turn.lang),
              "product.id": product.id}
    query = f"?lang={turn.lang}" if turn.lang != content.default_language else ""  # /p/ opens chat in it
    return template_spec(entry, values, f"product:{product.id}", url_query=query)
