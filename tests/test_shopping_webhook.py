"""Shopping through signed webhooks: WhatsApp's native cart and Meta catalog messages."""
from __future__ import annotations

import json
from pathlib import Path

from . import payloads as p
from .helpers import body_text

SAM = "34600111222"
BSUID = "US.13491208655302741918"  # the samples carry a BSUID, which replies go to
SAMPLES = Path(__file__).parent / "data" / "meta"


def _order(items: list[dict]) -> dict:
    """Meta's `order` message (the format of tests/data/meta/message.json's `order` case)."""
    sample = json.loads((SAMPLES / "message.json").read_text())["order"]
    message = sample["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = p.new_wamid()
    message["order"]["product_items"] = items
    return sample


def test_a_native_cart_is_mapped_by_sku_with_our_prices(app, post, sender, fake_graph):
    post(_order([
        {"product_retailer_id": "HOM-CAN-FIG", "quantity": 2, "item_price": 15, "currency": "EUR"},
        {"product_retailer_id": "ACC-TOTE", "quantity": 1, "item_price": 15, "currency": "EUR"},
        {"product_retailer_id": "HAMBURGER", "quantity": 3, "item_price": 30, "currency": "EUR"},
    ]))
    sender.pump()
    received, cart = [body_text(m) for m in fake_graph.messages_to(BSUID)]
    assert received == "🛍️ Got your cart from our WhatsApp catalog!"
    lines = cart.splitlines()
    assert "2 × Soy candle, fig · €33.00" in lines and "1 × Canvas tote bag · €15.00" in lines
    assert "*Subtotal: €48.00*" in lines
    assert "_These items aren't in our shop any more: HAMBURGER_" in lines
    assert "_Soy candle, fig costs €16.50 with us, not €15.00; we use our price._" in lines


def test_repeated_lines_of_a_native_cart_are_capped_per_sku(app, post, sender, fake_graph):
    post(_order([{"product_retailer_id": "ACC-TOTE", "quantity": 60, "item_price": 15, "currency": "EUR"}] * 2))
    sender.pump()
    _received, cart = [body_text(m) for m in fake_graph.messages_to(BSUID)]
    assert "60 × Canvas tote bag · €900.00" in cart.splitlines()
    assert "For more than 99 of one item, please talk to us directly." in cart


def test_the_sample_order_with_only_unknown_items_is_answered_kindly(app, post, sender, fake_graph):
    sample = json.loads((SAMPLES / "message.json").read_text())["order"]
    post(sample)
    sender.pump()
    _received, cart = [body_text(m) for m in fake_graph.messages_to(BSUID)]
    assert "Your cart is empty" in cart
    assert "HAMBURGER, FRENCH_FRIES, SODA" in cart


def test_with_a_meta_catalog_categories_are_sent_as_product_lists(app, post, sender, fake_graph, shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text() + "\nwhatsapp_catalog_id: \"354160437058781\"\n")
    assert app.extensions["shopbot.content"].reload()
    post(p.text(SAM, "menu"))
    post(p.list_reply(SAM, "cat:home:1", "🕯️ Home"))
    sender.pump()
    sent = fake_graph.accepted[-1]["payload"]
    assert sent["type"] == "interactive" and sent["interactive"]["type"] == "product_list"
    action = sent["interactive"]["action"]
    assert action["catalog_id"] == "354160437058781"
    skus = [item["product_retailer_id"] for item in action["sections"][0]["product_items"]]
    assert skus[:2] == ["HOM-CAN-FIG", "HOM-MUG-SND"] and "HOM-CALLI" in skus


def test_product_cards_link_their_images_on_the_public_url(app, post, sender, fake_graph):
    post(p.text(SAM, "menu"))
    post(p.list_reply(SAM, "product:canvas-tote", "Canvas tote bag"))
    sender.pump()
    sent = fake_graph.accepted[-1]["payload"]
    assert sent["type"] == "interactive"
    assert sent["interactive"]["header"] == {"type": "image", "image": {"link": "https://shop.example/catalog/images/canvas-tote.png"}}
    assert sent["interactive"]["body"]["text"].startswith("*Canvas tote bag*\n€15.00")
    titles = [b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]]
    assert titles == ["Add to cart", "View cart", "Back"]


def test_catalog_images_are_served_and_other_files_are_not(client):
    with client.get("/catalog/images/canvas-tote.png") as r:
        assert r.status_code == 200 and r.mimetype == "image/png"
    assert client.get("/catalog/products.csv").status_code == 404
    assert client.get("/catalog/../flows/settings.yaml").status_code == 404


def test_the_cart_survives_a_restart_and_a_switch_of_worker(app, app_config, post, sender, fake_graph, sign):
    from bot.app import create_app

    post(p.text(SAM, "2 candles"))
    other = create_app(app_config)  # a restarted process, or another gunicorn worker
    raw = json.dumps(p.text(SAM, "cart")).encode()
    assert other.test_client().post("/webhook", data=raw, headers=sign(raw)).status_code == 200
    sender.pump()
    assert "2 × Soy candle, fig · €33.00" in body_text(fake_graph.accepted[-1])
    other.extensions["shopbot.engine"].dispose()
