"""What staff share from the chat besides words: a product card from the catalog, an order's
summary, or an order's payment link as a Pay button. Each is built by the same code the bot uses,
in the customer's language, and sent under the chat's rules (bot.staff.chats.send_from_staff)."""
from __future__ import annotations

import copy

from flask import current_app, request
from sqlalchemy import select

from bot.commerce import checkout, order_status
from bot.conversation import browse
from bot.conversation.events import Event, EventType
from bot.conversation.turn import Turn, cta_url
from bot.db import transaction
from bot.models import Conversation, Customer, Order
from bot.staff import bp


def choices(session, content, customer: Customer) -> dict:
    """What the share menu offers for this customer: products, and their orders."""
    products = [(p.id, p.name) for p in content.catalog.products if p.active_variants]
    orders = session.scalars(select(Order).where(Order.customer_id == customer.id)
                             .order_by(Order.id.desc()).limit(10)).all()
    payable = {o.reference for o in orders if _link(content, o)}
    return {"products": products, "orders": [o.reference for o in orders], "payable": payable}


def _link(content, order: Order) -> str:
    option = content.checkout.payment_option(order.payment_method)
    return checkout.payment_instructions(content, order)[1] if option and option.link else ""


@bp.post("/chats/<id:customer_id>/share")
def share(customer_id: int):
    from bot.staff import chats

    content = current_app.extensions["shopbot.content"].current()
    kind, _, value = (request.form.get("share") or "").partition(":")
    message = None
    with transaction(current_app.extensions["shopbot.sessions"]) as s:  # built here; sent (or refused) after
        customer = s.get(Customer, customer_id)
        if customer is None:
            return chats.no_chat()
        conversation = s.get(Conversation, customer_id)
        data = copy.deepcopy(conversation.data) if conversation else {}
        turn = Turn(content, data, Event(EventType.SILENT, profile_name=customer.name, phone=customer.wa_id))
        order = s.scalars(select(Order).where(Order.reference == value, Order.customer_id == customer_id)).first()
        if kind == "product" and content.catalog.product(value):
            _state, messages = browse.card(turn, value)
            message = messages[-1]
        elif kind == "order" and order is not None:
            message = order_status.details(s, content, customer, order)
        elif kind == "pay" and order is not None and _link(content, order):
            instructions, link = checkout.payment_instructions(content, order, turn.lang)
            message = cta_url(instructions or link, turn.text("pay_button"), link)
    if message is None:
        return chats.refuse(customer_id, "Choose a product or one of this customer's orders to share.", "")
    return chats.send_from_staff(customer_id, message)
