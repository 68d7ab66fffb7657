"""GET /cart/<code> and /p/<product-id>: the short links behind the marketing templates' URL buttons.

An approved template's URL button ends in one dynamic part (`{{1}}`, filled
from `cart.code` or `product.id`, see flows/templates.yaml). The approved URL
is this shop's address (`https://shop.example/cart/{{1}}`), and these views
send the customer on to the click-to-chat link whose prefilled text brings
them back to their cart (`[cart]`) or to the product's card (`[product-id]`),
as bot.commerce.links makes them, in the customer's language: the cart's code names its customer,
whose language is looked up; a product link carries `?lang=` (the back-in-stock template adds it).
Public: the customer's browser opens them.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request
from sqlalchemy import select

from bot.commerce import links
from bot.db import transaction
from bot.errors import NotFound
from bot.models import Customer

bp = Blueprint("reminder_links", __name__)


@bp.get("/cart/<code>")
def cart(code: str):
    """The abandoned-cart reminder's button: on to WhatsApp, with the text that shows the cart."""
    customer_id = links.cart_of(current_app.config["SECRET_KEY"], code)
    if customer_id is None:
        abort(404)
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        lang = session.scalar(select(Customer.language).where(Customer.id == customer_id))
    text = links.cart_text(content, lang if lang in content.languages else None)
    return redirect(links.wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text), code=302)


@bp.get("/p/<product_id>")
def product(product_id: str):
    """The back-in-stock alert's button: on to WhatsApp, with the text that opens the product's card,
    in the language the link names (`?lang=es`, one of the shop's; else the default)."""
    content = current_app.extensions["shopbot.content"].current()
    try:
        text = links.chat_text(content, product_id, lang=request.args.get("lang"))
    except NotFound:
        abort(404)
    return redirect(links.wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text), code=302)
