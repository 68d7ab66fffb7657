"""The automations' templates (abandoned cart, back in stock) keep to Meta's messaging limit, like broadcasts:
outside the window each takes room in the moving 24 hours, and with none left the reminder or the alert
waits for a later sweep instead of being lost (issue 17 review)."""
from __future__ import annotations

from datetime import timedelta

from bot.db import transaction
from bot.whatsapp import messaging_limit

from . import payloads as p
from .chat import SAM
from .test_abandoned_carts import tagged
from .test_back_in_stock import alerts, restock, subscribe_to_the_flannel_shirt
from .test_messaging_limit import templates_to

OTHER = "34600777666"


def limit_full_at(app, post, sender, moment) -> None:
    """A limit of one customer, spent at `moment` by an order update template to another customer."""
    post(p.text(OTHER, "hi"))
    sender.pump()
    with transaction(app.extensions["shopbot.sessions"]) as s:
        messaging_limit.store(s, 1, "command", moment)
    templates_to(app, [OTHER], moment)


def test_a_cart_reminder_waits_for_room_in_the_messaging_limit(app, post, sender, chat, clock, fake_graph):
    chat.say("hi")
    chat.tap("menu:offers")  # opted in to offers
    chat.say("2 candles")
    limit_full_at(app, post, sender, clock.start + timedelta(hours=24))
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["abandoned carts"] == 0  # outside the window, and no room
    assert fake_graph.messages_to(SAM)[before:] == [] and tagged(app) == []
    assert clock.at(47 * 60)["abandoned carts"] == 0  # still within the other customer's 24 hours
    assert clock.at(48 * 60 + 1)["abandoned carts"] == 1  # room again: the reminder was kept, not lost
    [sent] = fake_graph.messages_to(SAM)[before:]
    assert sent["payload"]["template"]["name"] == "abandoned_cart"
    assert clock.at(50 * 60)["abandoned carts"] == 0  # once


def test_a_back_in_stock_alert_waits_for_room_in_the_messaging_limit(app, post, sender, shop_dir, chat, clock,
                                                                     fake_graph):
    chat.say("hi")
    chat.tap("menu:offers")
    subscribe_to_the_flannel_shirt(chat)
    restock(app, shop_dir, "SHI-FLN-M", 5)
    limit_full_at(app, post, sender, clock.start + timedelta(hours=24))
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["back in stock"] == 0
    assert fake_graph.messages_to(SAM)[before:] == []
    assert alerts(app) == [("flannel-shirt", "SHI-FLN-M", False)]  # still waiting
    assert clock.at(48 * 60 + 1)["back in stock"] == 1
    [sent] = fake_graph.messages_to(SAM)[before:]
    assert sent["payload"]["template"]["name"] == "back_in_stock"
    assert alerts(app) == [("flannel-shirt", "SHI-FLN-M", True)]
