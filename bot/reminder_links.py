"""GET /cart/<code> and /p/<product-id>: the short links behind the marketing templates' URL buttons.

An approved template's URL button ends in one dynamic part (`{{1}}`, filled
from `cart.code` or `product.id`, see flows/templates.yaml). The approved URL
is this shop's address (`https://shop.example/cart/{{1}}`), and these views
send the customer on to the click-to-chat link whose prefilled text brings
them back to their cart (`[cart]`) or to the product's card (`[product-id]`),
as bot.commerce.links makes them. Public: the customer's browser opens them.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect

from bot.commerce import links
from bot.errors import NotFound

bp = Blueprint("reminder_links", __name__)


@bp.get("/cart/<code>")
def cart(code: str):
    """The abandoned-cart reminder's button: on to WhatsApp, with the text that shows the cart."""
    if links.cart_of(current_app.config["SECRET_KEY"], code) is None:
        abort(404)
    content = current_app.extensions["shopbot.content"].current()
    text = links.cart_text(content, None)
    return redirect(links.wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text), code=302)


@bp.get("/p/<product_id>")
def product(product_id: str):
    """The back-in-stock alert's button: on to WhatsApp, with the text that opens the product's card."""
    content = current_app.extensions["shopbot.content"].current()
    try:
        text = links.chat_text(content, product_id)
    except NotFound:
        abort(404)
    return redirect(links.wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text), code=302)
