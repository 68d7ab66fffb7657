"""The templates' short links (/cart/<code>, /p/<id>) open WhatsApp with a text in the customer's language,
not always the shop's default (issue 17 review)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from bot.commerce import links, stock_alerts
from bot.db import transaction
from bot.models import Customer

from . import payloads as p

ROSA = "34600555444"


def prefilled(response) -> str:
    assert response.status_code == 302
    return parse_qs(urlparse(response.headers["Location"]).query)["text"][0]


def spanish_customer(app, post, sender) -> Customer:
    post(p.text(ROSA, "hola", name="Rosa"))
    sender.pump()
    with transaction(app.extensions["shopbot.sessions"]) as s:
        customer = s.scalars(select(Customer).where(Customer.wa_id == ROSA)).one()
        assert customer.language == "es"
        s.expunge(customer)
        return customer


def test_the_cart_link_of_a_spanish_customer_opens_whatsapp_in_spanish(app, client, post, sender):
    rosa = spanish_customer(app, post, sender)
    code = links.cart_code(app.config["SECRET_KEY"], rosa.id)
    assert prefilled(client.get(f"/cart/{code}")) == "¡Hola, Lumen & Loom! Enséñame mi carrito, por favor. [cart]"


def test_the_product_link_carries_the_customers_language_checked_against_the_shops(app, client, post, sender):
    assert prefilled(client.get("/p/flannel-shirt?lang=es")).startswith("¡Hola, Lumen & Loom! Quiero saber más")
    assert prefilled(client.get("/p/flannel-shirt?lang=xx")).startswith("Hi Lumen & Loom!")  # not a shop language
    assert prefilled(client.get("/p/flannel-shirt")).startswith("Hi Lumen & Loom!")
    # the back-in-stock template's URL button puts the Spanish customer's language in the link
    rosa = spanish_customer(app, post, sender)
    rosa.last_inbound_at, rosa.marketing_opt_in = None, True  # outside the window, opted in
    content = app.extensions["shopbot.content"].current()
    product = content.catalog.product("flannel-shirt")
    spec = stock_alerts._alert(content, None, rosa, rosa.created_at, product, product.active_variants[0],
                               whole_product=True)
    assert spec is not None and spec["type"] == "template"
    [url] = [b["url"] for b in spec["buttons"] if "url" in b]
    assert url == "flannel-shirt?lang=es"
    assert prefilled(client.get(f"/p/{url}")).startswith("¡Hola, Lumen & Loom! Quiero saber más sobre")
