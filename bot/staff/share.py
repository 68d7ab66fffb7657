"""What staff share from the chat besides words: a product card from the catalog, the cart's
checkout link, an order's summary, or an order's payment link as a Pay button. Each is built by the
same code the bot uses, in the customer's language, and sent under the chat's rules
(bot.staff.chats.send_from_staff: a colleague's chat or a closed 24-hour window refuses it).

The checkout link is the bot's cart (lines and subtotal) with a Checkout button opening a wa.me
link whose prefilled text carries `[checkout]` (bot.commerce.links): sent, it gives the chat back
to the bot, which starts the checkout of the cart as it is then."""
from __future__ import annotations

import copy

from flask import current_app, request
from sqlalchemy import select

from bot.commerce import checkout, links, order_status
from bot.conversation import browse, shopping
from bot.conversation.events import Event, EventType
from bot.conversation.messages import Buttons
from bot.conversation.turn import Turn, cta_url
from bot.db import transaction
from bot.models import Conversation, Customer, Order
from bot.staff import bp


def choices(session, content, customer: Customer, cart_lines: int = 0) -> dict:
    """What the share menu offers for this customer: products, the cart's checkout link when the cart
    holds something (`cart_lines`), and their orders."""
    products = [(p.id, p.name) for p in content.catalog.products if p.active_variants]
    orders = session.scalars(select(Order).where(Order.customer_id == customer.id)
                             .order_by(Order.id.desc()).limit(10)).all()
    payable = {o.reference for o in orders if _link(content, o)}
    return {"products": products, "orders": [o.reference for o in orders], "payable": payable,
            "cart": cart_lines > 0}


def _checkout_link(turn: Turn):
    """The customer's cart as the bot shows it, with a Checkout button opening the checkout link;
    None for an empty cart."""
    _state, shown = shopping.show(turn)
    cart = shown[-1]
    if not isinstance(cart, Buttons) or not any(b.id == "checkout" for b in cart.buttons):  # nothing left to buy
        return None
    url = links.wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], links.checkout_text(turn.content, turn.lang))
    return cta_url(cart.text, turn.text("checkout_button"), url)


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
        elif kind == "checkout":
            message = _checkout_link(turn)
        elif kind == "order" and order is not None:
            message = order_status.details(s, content, customer, order)
        elif kind == "pay" and order is not None and _link(content, order):
            instructions, link = checkout.payment_instructions(content, order, turn.lang)
            message = cta_url(instructions or link, turn.text("pay_button"), link)
    if message is None:
        why = ("The cart is empty, so there is nothing to check out." if kind == "checkout"
               else "Choose a product or one of this customer's orders to share.")
        return chats.refuse(customer_id, why, "")
    return chats.send_from_staff(customer_id, message)
