"""Back-in-stock alerts (issue 17, item 4), through signed webhooks, the sender's sweep and the fake Graph API.

A sold-out product or option offers "Tell me when it's back"; when stock returns (the catalog file
edited and reloaded, or an order cancelled releasing its units) each subscribed customer gets one
message: buttons inside the 24-hour window, the `back_in_stock` marketing template outside it for
opted-in customers. Then the subscription is done.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from sqlalchemy import inspect, select, update

from bot import schema
from bot.db import make_engine, transaction
from bot.models import Customer, Order, StockAlert, StockLevel

from .chat import SAM, Chat
from .helpers import body_text
from .test_abandoned_carts import tagged
from .test_checkout import checkout_to_summary

ANA = "34600999888"


def alerts(app) -> list[tuple[str, str, bool]]:
    """(product, sku, sent) of every alert, oldest first."""
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return [(a.product_id, a.sku, a.sent_at is not None)
                for a in s.scalars(select(StockAlert).order_by(StockAlert.id))]


def restock(app, shop_dir, sku: str, units: int) -> None:
    """The owner edits the stock count in catalog/products.csv; the bot reloads it."""
    products = shop_dir / "catalog" / "products.csv"
    lines = products.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(sku + ","):
            cells = line.split(",")
            cells[8] = str(units)  # sku,product_id,name,category,price,currency,description,image,stock,...
            lines[i] = ",".join(cells)
    products.write_text("".join(lines))
    assert app.extensions["shopbot.content"].reload()


def subscribe_to_the_flannel_shirt(chat) -> None:
    chat.say("hi")
    card = chat.tap("product:flannel-shirt")
    assert Chat.buttons(card)["🔔 Tell me when back"] == "notify:flannel-shirt:SHI-FLN-M"
    sent = chat.tap("notify:flannel-shirt:SHI-FLN-M", "🔔 Tell me when back")
    assert body_text(sent[-1]) == "🔔 Got it! We'll message you once when Flannel check shirt is back."


def test_a_catalog_edit_that_restocks_alerts_each_subscriber_once(app, shop_dir, chat, clock, fake_graph):
    subscribe_to_the_flannel_shirt(chat)
    chat.tap("notify:flannel-shirt:SHI-FLN-M")  # twice: still one subscription
    assert alerts(app) == [("flannel-shirt", "SHI-FLN-M", False)]
    assert clock.at(1)["back in stock"] == 0  # still sold out
    restock(app, shop_dir, "SHI-FLN-M", 5)
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(2)["back in stock"] == 1
    sent = fake_graph.messages_to(SAM)[before:]
    assert [body_text(m) for m in sent] == ["🎉 Good news! Flannel check shirt is back in stock."]
    assert Chat.buttons(sent) == {"Add to cart": "add:SHI-FLN-M", "See it": "product:flannel-shirt"}
    assert [row.source for row in tagged(app, "back_in_stock")] == ["back_in_stock"]
    assert alerts(app) == [("flannel-shirt", "SHI-FLN-M", True)]
    restock(app, shop_dir, "SHI-FLN-M", 7)  # the next stock change: the subscription is done
    assert clock.at(3)["back in stock"] == 0
    chat.seen = len(fake_graph.messages_to(SAM))
    added = chat.tap("add:SHI-FLN-M", "Add to cart")
    assert "Flannel check shirt" in body_text(added[-1])


def test_a_sold_out_option_offers_the_alert_and_a_cancelled_order_brings_it_back(app, post, sender, fake_graph,
                                                                                  clock):
    ana = Chat(post, sender, fake_graph, number=ANA, name="Ana")
    ana.say("hi")
    with transaction(app.extensions["shopbot.sessions"]) as s:
        s.get(StockLevel, "HOM-CAN-FIG").on_hand = 2
    sam = Chat(post, sender, fake_graph)
    summary = checkout_to_summary(sam)  # Sam takes the last two candles
    sam.tap(sam.buttons(summary)["Confirm"])
    refused = ana.tap("add:HOM-CAN-FIG")
    assert body_text(refused[-1]).startswith("Sorry")
    assert ana.buttons(refused)["🔔 Tell me when back"] == "notify:soy-candle:HOM-CAN-FIG"
    ana.tap("notify:soy-candle:HOM-CAN-FIG")
    assert clock.at(1)["back in stock"] == 0
    with transaction(app.extensions["shopbot.sessions"]) as s:
        reference = s.scalars(select(Order.reference)).one()
    sam.tap(f"cancel_order:{reference}")  # the order's two candles go back on the shelf
    before = len(fake_graph.messages_to(ANA))
    assert clock.at(2)["back in stock"] == 1
    sent = fake_graph.messages_to(ANA)[before:]
    assert [body_text(m) for m in sent] == ["🎉 Good news! Soy candle, fig is back in stock."]
    assert alerts(app) == [("soy-candle", "HOM-CAN-FIG", True)]


def test_outside_the_window_an_opted_in_subscriber_gets_the_template(app, client, shop_dir, chat, clock,
                                                                       fake_graph):
    chat.say("hi")
    chat.tap("menu:offers")
    subscribe_to_the_flannel_shirt(chat)
    restock(app, shop_dir, "SHI-FLN-M", 5)
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["back in stock"] == 1
    sent = fake_graph.messages_to(SAM)[before:]
    template = sent[0]["payload"]["template"]
    assert template["name"] == "back_in_stock"
    components = template["components"]
    assert [x["text"] for x in components[0]["parameters"]] == ["Sam Rivera", "Flannel check shirt"]
    url = next(c for c in components if c["type"] == "button" and c["sub_type"].lower() == "url")
    assert url["index"] == 0 and url["parameters"] == [{"type": "text", "text": "flannel-shirt"}]
    opened = client.get("/p/flannel-shirt")  # the approved URL https://<shop>/p/{{1}}
    assert opened.status_code == 302
    prefilled = parse_qs(urlparse(opened.headers["Location"]).query)["text"][0]
    assert prefilled.endswith("[flannel-shirt]")
    assert client.get("/p/no-such-thing").status_code == 404


def test_outside_the_window_nothing_goes_to_a_subscriber_who_did_not_opt_in(app, shop_dir, chat, clock,
                                                                              fake_graph):
    subscribe_to_the_flannel_shirt(chat)
    restock(app, shop_dir, "SHI-FLN-M", 5)
    before = len(fake_graph.accepted)
    assert clock.at(25 * 60)["back in stock"] == 0
    assert len(fake_graph.accepted) == before
    assert alerts(app) == [("flannel-shirt", "SHI-FLN-M", True)]  # done all the same


def test_the_migration_adds_and_removes_the_alerts(app, database_url, chat):
    subscribe_to_the_flannel_shirt(chat)
    engine = make_engine(database_url)
    try:
        schema.downgrade(engine, "0015")
        assert "stock_alert" not in inspect(engine).get_table_names()
        assert "cart_idle_since" not in {c["name"] for c in inspect(engine).get_columns("conversation")}
        schema.upgrade(engine)
        assert "stock_alert" in inspect(engine).get_table_names()
        assert "cart_idle_since" in {c["name"] for c in inspect(engine).get_columns("conversation")}
    finally:
        engine.dispose()


def test_a_subscriber_without_a_profile_name_gets_the_template_with_there(app, shop_dir, post, sender, fake_graph,
                                                                         clock):
    """Meta refuses an empty parameter: "there" stands in for the name, as in broadcasts and cart reminders."""
    chat = Chat(post, sender, fake_graph)
    chat.say("hi")
    chat.tap("menu:offers")
    subscribe_to_the_flannel_shirt(chat)
    with transaction(app.extensions["shopbot.sessions"]) as s:  # a WhatsApp profile without a name
        s.execute(update(Customer).values(name=None))
    restock(app, shop_dir, "SHI-FLN-M", 5)
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["back in stock"] == 1
    [sent] = fake_graph.messages_to(SAM)[before:]
    body = sent["payload"]["template"]["components"][0]
    assert [x["text"] for x in body["parameters"]] == ["there", "Flannel check shirt"]
