"""The website's API: pending orders with a wa.me link, payments, links and QR codes."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from bot.commerce.payments import signature
from bot.db import transaction
from bot.models import Order, OrderHistory, Payment, StockLevel

from .chat import Chat
from .conftest import API_TOKEN, PAYMENT_SECRET
from .helpers import body_text, count

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
SECRET = PAYMENT_SECRET


def create(client, body, headers=TOKEN):
    return client.post("/api/orders", json=body, headers=headers)


def prefilled(url: str) -> str:
    return parse_qs(urlparse(url).query)["text"][0]


def stock(app, sku):
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.get(StockLevel, sku).on_hand


def one_order(app) -> Order:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        [order] = s.scalars(select(Order)).all()
        return order


def test_a_website_cart_becomes_a_pending_order_with_a_whatsapp_link(app, client):
    r = create(client, {"items": [{"sku": "TEE-RED-M", "quantity": 2}, {"product_id": "ceramic-mug",
                                                                         "options": {"colour": "Sage"}}],
                        "customer": {"name": "Ana López", "phone": "+34 600 999 000"}, "delivery": "madrid",
                        "source": "website"})
    assert r.status_code == 201, r.json
    order = r.json
    assert order["status"] == "pending" and order["reference"].startswith("SHP-")
    assert (order["subtotal"], order["shipping_fee"], order["total"]) == (5180, 390, 5570)
    assert [(i["sku"], i["quantity"]) for i in order["items"]] == [("TEE-RED-M", 2), ("HOM-MUG-SGE", 1)]
    assert order["whatsapp_url"].startswith("https://wa.me/15550001234?text=")
    text = prefilled(order["whatsapp_url"])
    assert text.splitlines() == [
        f"Hi Lumen & Loom! I'd like to confirm my order {order['reference']}:",
        "• 2 × Organic cotton tee (M, Red) · €39.80", "• 1 × Ceramic mug (Sage) · €12.00",
        "Subtotal: €51.80", "Delivery: Madrid city · €3.90", "Total: €55.70"]
    assert stock(app, "TEE-RED-M") == 4  # 6 counted, 2 held for this order


@pytest.mark.parametrize("body,field", [
    ({}, "items"), ({"items": []}, "items"), ({"items": "TEE"}, "items"), ({"items": [5]}, "items[0]"),
    ({"items": [{"sku": "TEE-RED-M", "quantity": 0}]}, "items[0].quantity"),
    ({"items": [{"sku": "TEE-RED-M", "quantity": "2"}]}, "items[0].quantity"),
    ({"items": [{"sku": ""}]}, "items[0].sku"),
    ({"items": [{"sku": "TEE-RED-M"}], "customer": {"phone": "call me"}}, "customer.phone"),
    ({"items": [{"sku": "TEE-RED-M"}], "note": "x" * 501}, "note"),
])
def test_bad_input_gets_400_naming_the_field(app, client, body, field):
    r = create(client, body)
    assert r.status_code == 400 and r.json["field"] == field, r.json


@pytest.mark.parametrize("field", ["delivery", "payment"])
def test_an_option_the_shop_does_not_offer_gets_422_naming_the_field(app, client, field):
    """Well-formed (any text is a valid id by the contract) but not one of the shop's options: like an unknown SKU."""
    r = create(client, {"items": [{"sku": "TEE-RED-M"}], field: "moon"})
    assert r.status_code == 422 and r.json["field"] == field and r.json["details"][0]["received"] == "moon", r.json
    assert count(app, Order) == 0


def test_a_body_that_is_not_json_gets_400(client):
    r = client.post("/api/orders", data="{nope", headers=TOKEN | {"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["field"] == "body"


def test_unknown_skus_and_stock_get_422_with_details(app, client):
    r = create(client, {"items": [{"sku": "NOPE-1"}, {"sku": "TEE-RED-M"},
                                  {"product_id": "organic-tee", "options": {"size": "XXL"}}]})
    assert r.status_code == 422
    assert [d.get("sku") or d.get("product_id") for d in r.json["details"]] == ["NOPE-1", "organic-tee"]
    r = create(client, {"items": [{"sku": "HOM-THROW", "quantity": 4}]})
    assert r.status_code == 422
    assert r.json["details"] == [{"sku": "HOM-THROW", "problem": "not enough stock", "available": 3}]
    assert stock(app, "HOM-THROW") == 3


def test_a_bad_token_gets_401(client):
    assert create(client, {"items": [{"sku": "TEE-RED-M"}]}, headers={}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert create(client, {"items": [{"sku": "TEE-RED-M"}]}, headers=wrong).status_code == 401


def test_the_prefilled_text_sent_back_confirms_the_same_order(app, client, post, sender, fake_graph):
    order = create(client, {"items": [{"sku": "HOM-CAN-FIG", "quantity": 2}], "delivery": "pickup",
                            "payment": "online"}).json
    chat = Chat(post, sender, fake_graph, number="34611222333", name="Lucía")
    # the customer edits the text around the reference, and even the total
    text = prefilled(order["whatsapp_url"]).replace("Total: €33.00", "Total: €1.00") + "\nthanks!!"
    sent = chat.say("hola! " + text)
    assert body_text(sent[0]).startswith("Hi Lucía")
    assert body_text(sent[1]) == f"Thanks! I found your order *{order['reference']}* from our website 🙌"
    assert body_text(sent[2]) == "Is *Lucía* the name for this order?"  # only what is missing is asked
    sent = chat.tap("checkout:name_ok")
    sent = chat.tap("checkout:no_note")
    summary = body_text(sent[-1])
    assert f"🧾 *Order {order['reference']}*" in summary and "*Total: €33.00*" in summary  # the database's total
    sent = chat.tap(chat.buttons(sent)["Confirm"])
    assert f"Your order *{order['reference']}* is placed." in body_text(sent[-3])
    assert body_text(sent[-2]).startswith("Would you like to get our offers")  # a first order: asked once
    assert sent[-1]["payload"]["interactive"]["type"] == "cta_url"  # then the button that opens the payment page
    saved = one_order(app)
    assert saved.reference == order["reference"] and saved.total == 3300 and saved.customer_confirmed_at
    assert stock(app, "HOM-CAN-FIG") == 18  # reserved once, by the website order


def test_another_customers_reference_reveals_nothing(app, client, post, sender, fake_graph):
    order = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json
    owner = Chat(post, sender, fake_graph, number="34611222333")
    owner.say(prefilled(order["whatsapp_url"]))
    stranger = Chat(post, sender, fake_graph, number="34699999999")
    sent = stranger.say(f"status {order['reference']}")
    assert body_text(sent[-1]) == (f"I couldn't find an order with the reference *{order['reference']}*. "
                                   "Please check it, or type *menu*.")
    assert body_text(stranger.say("status SHP-XXXXX")[-1]).startswith("I couldn't find")  # same answer as unknown


def test_an_unconfirmed_website_order_expires_and_releases_stock(app, client):
    from datetime import timedelta

    from bot.commerce.checkout import sweep_deadlines
    from bot.whatsapp.inbound import now

    create(client, {"items": [{"sku": "HOM-THROW", "quantity": 2}]})
    assert stock(app, "HOM-THROW") == 1
    with transaction(app.extensions["shopbot.sessions"]) as s:
        counts = sweep_deadlines(s, app.extensions["shopbot.content"].current(), now() + timedelta(days=2))
    assert counts["released"] == 1
    assert one_order(app).status == "cancelled" and stock(app, "HOM-THROW") == 3


# -- payment callbacks ----------------------------------------------------------------------

def callback(client, body: dict, secret=SECRET):
    raw = json.dumps(body).encode()
    return client.post("/api/payments/callback", data=raw,
                       headers={"Content-Type": "application/json", "X-Signature": signature(secret, raw)})


def test_a_payment_callback_marks_the_order_paid_once(app, client):
    order = create(client, {"items": [{"sku": "HOM-SOAP", "quantity": 2}]}).json
    body = {"reference": order["reference"], "payment_id": "pi_123", "amount": "13.00", "currency": "EUR"}
    r = callback(client, body)
    assert r.status_code == 200 and r.json == {"result": "paid", "reference": order["reference"]}
    saved = one_order(app)
    assert (saved.status, saved.payment_status, saved.paid_amount) == ("confirmed", "paid", 1300)
    assert callback(client, body).json == {"result": "already recorded"}  # a replay
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert len(s.scalars(select(Payment)).all()) == 1
        history = [(h.from_status, h.to_status, h.actor)
                   for h in s.scalars(select(OrderHistory).order_by(OrderHistory.id))]
    assert history == [(None, "pending", "api:website"), ("unpaid", "paid", "payment provider"),
                       ("pending", "confirmed", "payment provider")]  # the payment confirms it too


def test_a_bad_signature_is_refused_and_changes_nothing(app, client):
    order = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json
    body = {"reference": order["reference"], "payment_id": "pi_1", "amount": "6.50", "currency": "EUR"}
    assert callback(client, body, secret="wrong").status_code == 401
    raw = json.dumps(body).encode()
    unsigned = client.post("/api/payments/callback", data=raw, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert one_order(app).status == "pending"


def test_a_wrong_amount_is_refused_and_changes_nothing(app, client):
    order = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json
    r = callback(client, {"reference": order["reference"], "payment_id": "pi_2", "amount": "0.65", "currency": "EUR"})
    assert r.status_code == 422 and r.json["details"] == [{"expected": 650, "received": 65, "in": "minor units"}]
    assert one_order(app).status == "pending"
    r = callback(client, {"reference": order["reference"], "payment_id": "pi_3", "amount": "6.50", "currency": "USD"})
    assert r.status_code == 422 and one_order(app).status == "pending"


# -- links ------------------------------------------------------------------------------------

def test_links_and_qr_codes(app, client, post, sender, fake_graph):
    r = client.get("/api/links", query_string={"product": "linen-shirt", "source": "instagram"})
    assert r.status_code == 200
    assert prefilled(r.json["url"]) == ("Hi Lumen & Loom! I'd like to know more about "
                                        "Linen shirt [linen-shirt] [via instagram]")
    with client.get(r.json["qr_png"]) as png:
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    with client.get(r.json["qr_svg"]) as svg:
        assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/api/links", query_string={"product": "unicorn"}).status_code == 404
    # the customer sends the prefilled text: the product's card opens
    chat = Chat(post, sender, fake_graph)
    sent = chat.say(prefilled(r.json["url"]))
    assert body_text(sent[-1]).startswith("*Linen shirt*")


def test_the_general_link_opens_the_menu(client, post, sender, fake_graph):
    url = client.get("/api/links", query_string={"source": "flyer"}).json["url"]
    sent = Chat(post, sender, fake_graph).say(prefilled(url))
    assert sent[-1]["payload"]["interactive"]["type"] == "list"


def test_shopbot_link_command(runner, tmp_path):
    out = tmp_path / "qr.svg"
    result = runner.invoke(args=["link", "--product", "soy-candle", "--source", "shopwindow", "--qr", str(out)])
    assert result.exit_code == 0, result.output
    assert "https://wa.me/15550001234?text=" in result.output
    assert out.read_text().lstrip().startswith("<?xml")


def test_staff_mark_an_order_paid_from_the_command_line(app, client, runner):
    order = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json
    result = runner.invoke(args=["order", "set", order["reference"], "paid", "--by", "ana"])
    assert result.exit_code == 0 and result.output.strip() == f"{order['reference']} is now confirmed and paid"
    saved = one_order(app)
    assert (saved.status, saved.payment_status, saved.paid_amount) == ("confirmed", "paid", 650)
    result = runner.invoke(args=["order", "set", order["reference"], "pending"])
    assert result.exit_code == 1
    assert (f"order {order['reference']} is confirmed and paid; it can move to cancelled, prepared or refunded, "
            "not pending") in result.output
