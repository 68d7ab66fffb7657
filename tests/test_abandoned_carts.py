"""Abandoned-cart reminders (issue 17, item 3), through signed webhooks, the sender's clock and the fake Graph API.

A cart left untouched for `abandoned_cart.after_minutes` (60 in the sample shop) gets one reminder: a
message with a "View cart" button inside the 24-hour window, the `abandoned_cart` marketing template
(body and URL-button parameters) outside it for opted-in customers only; once per untouched cart, never
after an order, in a chat a person has, or after "stop".
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from bot.content import load_content
from bot.db import transaction
from bot.errors import ContentError
from bot.models import Conversation, OutboundMessage

from . import payloads as p
from .chat import SAM, Chat
from .helpers import body_text
from .test_checkout import checkout_to_summary


def tagged(app, source: str = "abandoned_cart") -> list[OutboundMessage]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return list(s.scalars(select(OutboundMessage).where(OutboundMessage.source == source)))


def fill_cart(chat) -> None:
    chat.say("hi")
    sent = chat.say("2 candles")
    assert "2 × Soy candle, fig" in body_text(sent[-1]) or "Soy candle, fig" in body_text(sent[-1])


def test_a_cart_is_reminded_once_inside_the_window_and_its_button_shows_the_cart(app, chat, clock, fake_graph):
    fill_cart(chat)
    assert clock.at(30)["abandoned carts"] == 0  # not yet: 60 minutes
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(61)["abandoned carts"] == 1
    sent = fake_graph.messages_to(SAM)[before:]
    assert len(sent) == 1
    assert body_text(sent[0]) == ("🛒 You left 2 item(s) in your cart (€33.00). "
                                  "They're waiting for you whenever you're ready.")
    assert Chat.buttons(sent) == {"View cart": "cart"}
    assert [row.source for row in tagged(app)] == ["abandoned_cart"]
    assert clock.at(24 * 60 - 10)["abandoned carts"] == 0  # once: the untouched cart is never reminded again
    chat.seen = len(fake_graph.messages_to(SAM))
    shown = chat.tap("cart", "View cart")
    assert "2 × Soy candle, fig" in body_text(shown[-1])
    assert clock.at(24 * 60 - 5)["abandoned carts"] == 0  # looking at the cart is no change to it


def test_a_later_change_of_the_cart_arms_the_next_reminder(app, chat, clock):
    fill_cart(chat)
    assert clock.at(61)["abandoned carts"] == 1
    assert clock.at(90)["abandoned carts"] == 0  # the same untouched cart: never twice
    chat.tap("add:HOM-CAN-FIG")  # the customer adds one more: a changed cart
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.scalars(select(Conversation)).one().cart_idle_since is not None
    assert clock.at(91)["abandoned carts"] == 1  # (the change was made at the test's real time, long before)
    assert len(tagged(app)) == 2


def test_a_reminder_refused_for_a_closed_window_is_not_replaced_by_the_fallback_template(app, chat, clock,
                                                                                         fake_graph):
    fill_cart(chat)
    before = len(fake_graph.accepted)
    fake_graph.fail_next(131047, message="Re-engagement message")  # the window closed after all
    assert clock.at(61)["abandoned carts"] == 1
    assert len(fake_graph.accepted) == before  # no reopen_conversation template in its place
    [row] = tagged(app)
    assert row.status == "dead" and row.body["type"] == "buttons" and row.error_code == 131047


def test_outside_the_window_an_opted_in_customer_gets_the_template_with_its_body_and_button(
        app, client, chat, clock, fake_graph):
    chat.say("hi")
    chat.tap("menu:offers")  # opted in to offers
    chat.say("2 candles")
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["abandoned carts"] == 1  # the 24-hour window has closed
    sent = fake_graph.messages_to(SAM)[before:]
    assert len(sent) == 1
    payload = sent[0]["payload"]
    assert payload["type"] == "template"
    template = payload["template"]
    assert template["name"] == "abandoned_cart" and template["language"]["code"] == "en"
    components = template["components"]
    body = next(c for c in components if c["type"] == "body")
    assert [x["text"] for x in body["parameters"]] == ["Sam Rivera", "€33.00"]
    url = next(c for c in components if c["type"] == "button" and c["sub_type"].lower() == "url")
    quick = next(c for c in components if c["type"] == "button" and c["sub_type"].lower() == "quick_reply")
    assert url["index"] == 0 and quick["index"] == 1
    code = url["parameters"][0]["text"]
    assert code and "/" not in code
    assert quick["parameters"] == [{"type": "payload", "payload": "offers:stop"}]
    assert tagged(app)[0].source == "abandoned_cart"

    # The approved URL is https://<shop>/cart/{{1}}: it opens WhatsApp with the text that shows the cart.
    opened = client.get(f"/cart/{code}")
    assert opened.status_code == 302
    link = urlparse(opened.headers["Location"])
    assert link.netloc == "wa.me"
    prefilled = parse_qs(link.query)["text"][0]
    assert prefilled == "Hi Lumen & Loom! Show me my cart, please. [cart]"
    assert client.get("/cart/made-up-code").status_code == 404
    shown = chat.say(prefilled)
    assert "2 × Soy candle, fig" in body_text(shown[-1])


@pytest.mark.parametrize("payload", ["offers:stop", "stop"])  # "stop": a template sent before `offers:stop`
def test_the_templates_stop_button_opts_out_of_offers(app, chat, clock, fake_graph, payload):
    from bot.commerce.consent import may_send_marketing

    from .test_consent import customer

    chat.say("hi")
    chat.tap("menu:offers")
    chat.say("2 candles")
    clock.at(25 * 60)
    tapped = p.body(p.messages_value(SAM, p.message(SAM, "button", {"text": "Stop offers", "payload": payload})))
    sent = chat._send(tapped)
    assert body_text(sent[-1]).startswith("Done, no more offers from us. You'll still get the updates")
    assert not may_send_marketing(customer(app)) and customer(app).opted_out_at is None


@pytest.mark.parametrize("words", ["No más ofertas", "Detener promociones", "Cancelar suscripción", "Basta"])
def test_a_stop_button_marked_in_the_file_stops_whatever_its_words(app, chat, clock, fake_graph, shop_dir, words):
    path = shop_dir / "flows" / "templates.yaml"
    text = path.read_text()
    assert text.count("        text: Stop offers\n        action: stop\n") == 3
    path.write_text(text.replace("        text: Stop offers\n", f"        text: {words}\n", 1))
    assert app.extensions["shopbot.content"].reload()
    chat.say("hi")
    chat.tap("menu:offers")
    chat.say("2 candles")
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["abandoned carts"] == 1
    [sent] = fake_graph.messages_to(SAM)[before:]
    [quick] = [c for c in sent["payload"]["template"]["components"]
               if c["type"] == "button" and c["sub_type"].lower() == "quick_reply"]
    assert quick["parameters"] == [{"type": "payload", "payload": "offers:stop"}]


def test_outside_the_window_nothing_goes_to_a_customer_who_did_not_opt_in(app, chat, clock, fake_graph):
    fill_cart(chat)
    before = len(fake_graph.accepted)
    assert clock.at(25 * 60)["abandoned carts"] == 0
    assert len(fake_graph.accepted) == before and tagged(app) == []
    with transaction(app.extensions["shopbot.sessions"]) as s:  # and it is not tried again
        assert s.scalars(select(Conversation)).one().cart_idle_since is None


def test_no_reminder_once_the_cart_became_an_order(app, chat, clock):
    sent = checkout_to_summary(chat)
    chat.tap(chat.buttons(sent)["Confirm"])
    assert clock.at(61)["abandoned carts"] == 0
    assert clock.at(3 * 60)["abandoned carts"] == 0
    assert tagged(app) == []


def test_a_cart_in_the_checkout_gets_the_checkouts_reminder_not_a_second_one(app, chat, clock, fake_graph):
    checkout_to_summary(chat)
    counts = clock.at(61)
    assert counts["reminded"] == 1 and counts["abandoned carts"] == 0
    assert clock.at(3 * 60)["abandoned carts"] == 0  # nor after the checkout expired
    assert tagged(app) == []


def test_no_reminder_while_a_person_has_the_chat(app, chat, clock):
    fill_cart(chat)
    chat.say("talk to a person")
    assert clock.at(61)["abandoned carts"] == 0
    assert tagged(app) == []


def test_no_reminder_after_stop(app, chat, clock):
    fill_cart(chat)
    chat.say("stop")
    assert clock.at(61)["abandoned carts"] == 0
    assert tagged(app) == []


def test_no_reminder_while_the_customer_is_still_chatting(app, chat, clock, post):
    fill_cart(chat)
    with transaction(app.extensions["shopbot.sessions"]) as s:  # the cart was left two hours ago...
        s.scalars(select(Conversation)).one().cart_idle_since = clock.start - timedelta(hours=2)
    chat.say("what are your opening hours?")  # ...but the customer is writing right now
    assert clock.at(0)["abandoned carts"] == 0
    assert clock.at(59)["abandoned carts"] == 0
    assert clock.at(61)["abandoned carts"] == 1  # quiet for an hour: now it is reminded, once


def test_no_reminder_for_a_cart_whose_items_all_left_the_catalog(app, chat, clock, shop_dir):
    fill_cart(chat)
    products = shop_dir / "catalog" / "products.csv"
    products.write_text("".join(line for line in products.read_text().splitlines(keepends=True)
                                if not line.startswith("HOM-CAN-FIG,")))
    assert app.extensions["shopbot.content"].reload()
    assert clock.at(61)["abandoned carts"] == 0
    assert tagged(app) == []


def test_a_customer_without_a_profile_name_gets_the_template_with_there(app, post, sender, fake_graph, clock,
                                                                         runner, tmp_path):
    from .test_broadcasts import opt_in

    opt_in(runner, tmp_path, [SAM])  # opted in by an import; their WhatsApp profile has no name
    nameless = Chat(post, sender, fake_graph, name="")
    nameless.say("hi")
    nameless.say("2 candles")
    before = len(fake_graph.messages_to(SAM))
    assert clock.at(25 * 60)["abandoned carts"] == 1
    [sent] = fake_graph.messages_to(SAM)[before:]
    body = next(c for c in sent["payload"]["template"]["components"] if c["type"] == "body")
    assert [x["text"] for x in body["parameters"]] == ["there", "€33.00"]


@pytest.mark.parametrize("value,message", [
    ("0", "after_minutes must be a whole number from 1 to 1440 (24 hours)"),
    ("soon", "after_minutes must be a whole number from 1 to 1440 (24 hours)"),
])
def test_a_bad_after_minutes_is_reported_with_its_line(shop_dir, value, message):
    settings = shop_dir / "flows" / "settings.yaml"
    text = settings.read_text().replace("  after_minutes: 60", f"  after_minutes: {value}")
    settings.write_text(text)
    line = text.splitlines().index(f"  after_minutes: {value}") + 1
    with pytest.raises(ContentError) as caught:
        load_content(shop_dir)
    assert f"flows/settings.yaml:{line}: {message}" in str(caught.value)


def test_an_unknown_abandoned_cart_setting_is_reported_with_its_line(shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    text = settings.read_text().replace("  after_minutes: 60", "  after_minute: 60")
    settings.write_text(text)
    line = text.splitlines().index("  after_minute: 60") + 1
    with pytest.raises(ContentError) as caught:
        load_content(shop_dir)
    assert f'flows/settings.yaml:{line}: unknown abandoned_cart setting `after_minute` (did you mean ' \
           '"after_minutes"?)' in str(caught.value)
