"""Checkout in chat through signed webhooks: every delivery and payment option, stock, duplicates."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Order, OrderLine, StockLevel
from bot.sandbox.fake_graph import LocalServer

from . import payloads as p
from .chat import SAM, Chat
from .conftest import signature
from .helpers import at_once, body_text


def orders(app) -> list[Order]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return list(s.scalars(select(Order).order_by(Order.id)))


def stock(app, sku) -> int | None:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.get(StockLevel, sku).on_hand


def checkout_to_summary(chat, delivery="Madrid city", payment="Cash on delivery",
                        address="Calle Mayor 1, 28013 Madrid"):
    chat.say("hi")
    chat.say("2 candles")
    sent = chat.tap("checkout", "Checkout")
    assert body_text(sent[-1]) == "Is *Sam Rivera* the name for this order?"
    sent = chat.tap("checkout:name_ok", "Yes")
    sent = chat.tap(chat.buttons(sent)[delivery], delivery)
    if delivery != "Pickup at the shop":
        assert body_text(sent[-1]).startswith("Type your delivery address")
        sent = chat.say(address)
    sent = chat.tap(chat.buttons(sent)[payment], payment)
    assert body_text(sent[-1]).startswith("Anything we should know")
    return chat.tap("checkout:no_note", "No note")


@pytest.mark.parametrize("delivery,fee,total", [("Madrid city", "€3.90", "€36.90"),
                                                ("Rest of Spain", "€5.90", "€38.90"),
                                                ("Pickup at the shop", "free", "€33.00")])
def test_summary_for_each_delivery_option(app, chat, delivery, fee, total):
    sent = checkout_to_summary(chat, delivery=delivery)
    summary = body_text(sent[-1]).splitlines()
    assert summary[0].startswith("🧾 *Order SHP-")
    assert summary[1] == "👤 Sam Rivera · +34600111222"
    assert "• 2 × Soy candle, fig · €33.00" in summary
    assert "Subtotal: €33.00" in summary
    assert any(line.startswith(f"🚚 {delivery}: {fee} · ") for line in summary)
    assert f"*Total: {total}*" in summary
    assert "💳 Cash on delivery" in summary
    if delivery == "Pickup at the shop":
        assert "📍 Pickup at Calle del Pez 21, 28004 Madrid" in summary
    else:
        assert "📍 Calle Mayor 1, 28013 Madrid" in summary
    assert list(chat.buttons(sent)) == ["Confirm", "Edit", "Cancel"]


@pytest.mark.parametrize("payment,expect", [
    ("Cash on delivery", "Pay in cash or by card when your order arrives"),
    ("Bank transfer", "Please transfer €36.90 to IBAN"),
    ("Card (secure link)", "Pay €36.90 securely on our payment page"),  # with a button: see the next test
])
def test_confirm_for_each_payment_option(app, chat, payment, expect):
    sent = checkout_to_summary(chat, payment=payment)
    reference = body_text(sent[-1]).splitlines()[0].removeprefix("🧾 *Order ").removesuffix("*")
    sent = chat.tap(f"confirm:{reference}", "Confirm")
    placed = "\n".join(body_text(m) for m in sent)
    assert f"Your order *{reference}* is placed." in placed
    assert expect in placed
    [order] = orders(app)
    assert (order.reference, order.status, order.total, order.shipping_fee) == (reference, "pending", 3690, 390)
    methods = {"Cash on delivery": "cod", "Bank transfer": "transfer", "Card (secure link)": "online"}
    assert order.payment_method == methods[payment]
    assert stock(app, "HOM-CAN-FIG") == 18  # 20 counted, 2 reserved
    sent = chat.say("cart")
    assert "Your cart is empty" in body_text(sent[-1])


def test_online_payment_ends_with_a_button_that_opens_the_shops_payment_page(app, chat):
    """The payment link is a WhatsApp cta_url button, in Meta's exact Cloud API shape, not a bare URL."""
    sent = checkout_to_summary(chat, payment="Card (secure link)")
    reference = body_text(sent[-1]).splitlines()[0].removeprefix("🧾 *Order ").removesuffix("*")
    placed, offers, pay = chat.tap(f"confirm:{reference}", "Confirm")[-3:]
    assert f"Your order *{reference}* is placed." in body_text(placed) and "https://" not in body_text(placed)
    assert body_text(offers).startswith("Would you like to get our offers")  # a first order: asked once
    assert list(chat.buttons([placed])) == ["Cancel order", "Main menu"]
    link = f"https://pay.example.com/lumenloom?reference={reference}&amount=36.90&currency=EUR"  # flows/checkout.yaml
    payload = {k: v for k, v in pay["payload"].items() if k != "biz_opaque_callback_data"}
    assert payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": SAM, "type": "interactive",
        "interactive": {"type": "cta_url", "body": {"text": "Pay €36.90 securely on our payment page: tap the button "
                                                            "below. We never ask for card numbers in chat."},
                        "action": {"name": "cta_url", "parameters": {"display_text": "Pay now", "url": link}}}}


def test_the_reference_is_short_and_unambiguous(app, chat):
    sent = checkout_to_summary(chat)
    reference = body_text(sent[-1]).splitlines()[0].removeprefix("🧾 *Order ").removesuffix("*")
    assert len(reference) == 9 and reference.startswith("SHP-")
    assert not set(reference[4:]) & set("0O1IL5S8B2Z")


def test_a_double_confirm_creates_one_order(app, chat):
    sent = checkout_to_summary(chat)
    confirm = chat.buttons(sent)["Confirm"]
    chat.tap(confirm, "Confirm")
    again = chat.tap(confirm, "Confirm")
    assert "is already placed" in body_text(again[-1])
    assert len(orders(app)) == 1 and stock(app, "HOM-CAN-FIG") == 18


def test_a_location_is_accepted_as_the_address(app, chat):
    chat.say("1 tote bag")
    sent = chat.tap("checkout")
    sent = chat.tap("checkout:name_ok")
    sent = chat.tap(chat.buttons(sent)["Madrid city"])
    sent = chat.location(40.4168, -3.7038, name="Puerta del Sol", address="Plaza de la Puerta del Sol, Madrid")
    assert body_text(sent[-1]).startswith("How would you like to pay?")
    sent = chat.tap("payment:cod")
    sent = chat.say("Ring twice please")
    assert "📍 Puerta del Sol, Plaza de la Puerta del Sol, Madrid" in body_text(sent[-1])
    assert "📝 Ring twice please" in body_text(sent[-1])


def test_a_too_short_address_is_asked_again(app, chat):
    chat.say("1 tote bag")
    chat.tap("checkout")
    sent = chat.tap("checkout:name_ok")
    chat.tap(chat.buttons(sent)["Madrid city"])
    sent = chat.say("here")
    assert body_text(sent[-1]).startswith("That looks too short for an address")


def test_edit_and_cancel_from_the_summary(app, chat):
    sent = checkout_to_summary(chat)
    sent = chat.tap("checkout:edit", "Edit")
    assert list(chat.buttons(sent)) == ["Name", "Delivery", "Address", "Payment", "Note", "Items in the cart"]
    sent = chat.tap("checkout:change:name", "Name")
    assert body_text(sent[-1]) == "What name should we put on the order?"
    sent = chat.say("Samantha Rivera")
    assert body_text(sent[-1]).splitlines()[1] == "👤 Samantha Rivera · +34600111222"
    sent = chat.tap("checkout:cancel", "Cancel")
    assert body_text(sent[-1]).startswith("Checkout cancelled")
    assert orders(app) == []
    assert "2 × Soy candle, fig" in body_text(chat.say("cart")[-1])


def test_a_returning_customer_is_offered_their_last_details(app, chat):
    sent = checkout_to_summary(chat, delivery="Rest of Spain", payment="Bank transfer",
                               address="Rúa Nova 3, 15705 Santiago")
    chat.tap(chat.buttons(sent)["Confirm"])
    chat.say("1 tote bag")
    sent = chat.tap("checkout")
    offer = body_text(sent[-1])
    assert "Use the same details as last time?" in offer
    assert "📍 Rúa Nova 3, 15705 Santiago" in offer and "💳 Bank transfer" in offer
    sent = chat.tap("checkout:last", "Use these")
    assert body_text(sent[-1]).startswith("Anything we should know")
    sent = chat.tap("checkout:no_note")
    assert "*Total: €20.90*" in body_text(sent[-1])


def test_the_same_details_shortcut_survives_a_question_in_between(app, chat):
    """Issue 15, item 8: a detour (a question) while "use the same details?" waits keeps the offer."""
    sent = checkout_to_summary(chat, delivery="Rest of Spain", payment="Bank transfer",
                               address="Rúa Nova 3, 15705 Santiago")
    chat.tap(chat.buttons(sent)["Confirm"])
    chat.say("1 tote bag")
    assert "Use the same details as last time?" in body_text(chat.tap("checkout")[-1])
    chat.say("how long does delivery take?")
    offer = body_text(chat.say("checkout")[-1])
    assert "Use the same details as last time?" in offer and "Rúa Nova 3" in offer
    sent = chat.tap("checkout:last", "Use these")
    assert body_text(sent[-1]).startswith("Anything we should know")


def test_a_pending_order_can_be_cancelled_from_the_chat(app, chat):
    sent = checkout_to_summary(chat)
    placed = chat.tap(chat.buttons(sent)["Confirm"])[0]  # then the question about offers (a first order)
    assert stock(app, "HOM-CAN-FIG") == 18
    sent = chat.tap(chat.buttons([placed])["Cancel order"])
    assert "is cancelled and nothing will be charged" in body_text(sent[-1])
    [order] = orders(app)
    assert order.status == "cancelled" and stock(app, "HOM-CAN-FIG") == 20


def test_cancel_typed_mid_checkout_cancels_the_checkout(app, chat):
    chat.say("1 tote bag")
    chat.tap("checkout")
    sent = chat.say("cancel")
    assert body_text(sent[-1]).startswith("Checkout cancelled")


def test_menu_mid_checkout_and_back(app, chat):
    chat.say("1 tote bag")
    chat.tap("checkout")
    sent = chat.say("menu")
    assert sent[-1]["payload"]["interactive"]["type"] == "list"
    sent = chat.say("checkout")
    assert body_text(sent[-1]) == "Is *Sam Rivera* the name for this order?"


def test_stock_that_sold_meanwhile_is_refused_at_confirm(app, chat):
    sent = checkout_to_summary(chat)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        s.get(StockLevel, "HOM-CAN-FIG").on_hand = 1  # someone bought the rest in the shop
    sent = chat.tap(chat.buttons(sent)["Confirm"])
    assert body_text(sent[0]).startswith("Sorry, Soy candle, fig just sold out: only 1 left")
    assert "1 × Soy candle, fig · €16.50" in body_text(sent[-1])
    assert orders(app) == [] and stock(app, "HOM-CAN-FIG") == 1


def test_concurrent_purchase_of_the_last_unit_has_exactly_one_winner(app, sender, fake_graph):
    """Two customers confirm the last throw blanket at the same moment on a real server."""
    server = LocalServer(app)

    def post_to_server(payload):
        import httpx

        raw = json.dumps(payload).encode()
        return httpx.post(f"{server.url}/webhook", content=raw, timeout=30,
                          headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)})

    buyers = [Chat(post_to_server, sender, fake_graph, number=f"3460000000{i}", name=f"Buyer {i}") for i in range(2)]
    summaries = []
    try:
        for buyer in buyers:
            buyer.say("hi")
            buyer.say("wool throw blanket")
            buyer.tap("add:HOM-THROW")
        with transaction(app.extensions["shopbot.sessions"]) as s:
            s.get(StockLevel, "HOM-THROW").on_hand = 1  # the last one
        for buyer in buyers:
            buyer.tap("checkout")
            sent = buyer.tap("checkout:name_ok")
            sent = buyer.tap(buyer.buttons(sent)["Pickup at the shop"])
            buyer.tap("payment:cod")
            summaries.append(buyer.tap("checkout:no_note"))
        raws = []
        for buyer, sent in zip(buyers, summaries, strict=True):
            raws.append(p.button_reply(buyer.number, buyer.buttons(sent)["Confirm"], "Confirm"))
        client_post = at_once([lambda raw=raw: post_to_server(raw).status_code for raw in raws])
    finally:
        server.close()
    assert client_post == [200, 200]
    placed = orders(app)
    assert len(placed) == 1 and stock(app, "HOM-THROW") == 0
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.scalar(select(OrderLine.quantity).where(OrderLine.order_id == placed[0].id)) == 1


def _sweep(app, minutes_later: int):
    """Let `minutes_later` minutes pass (every stored deadline and time moves back), then sweep."""
    from datetime import timedelta

    from bot.commerce.checkout import sweep_deadlines
    from bot.models import Conversation, Customer
    from bot.whatsapp.inbound import now

    back = timedelta(minutes=minutes_later) - getattr(app, "_minutes_passed", timedelta(0))
    app._minutes_passed = timedelta(minutes=minutes_later)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for c in s.scalars(select(Conversation)):
            c.remind_at = c.remind_at and c.remind_at - back
            c.expires_at = c.expires_at and c.expires_at - back
        for c in s.scalars(select(Customer)):
            c.last_inbound_at = c.last_inbound_at and c.last_inbound_at - back
        for o in s.scalars(select(Order)):
            o.expires_at = o.expires_at and o.expires_at - back
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return sweep_deadlines(s, app.extensions["shopbot.content"].current(), now())


def test_an_unconfirmed_checkout_is_reminded_then_expires(app, chat, sender, fake_graph):
    checkout_to_summary(chat)
    assert _sweep(app, 10) == {"reminded": 0, "expired": 0, "released": 0}
    assert _sweep(app, 31)["reminded"] == 1
    sender.pump()
    assert body_text(fake_graph.accepted[-1]).startswith("Your order isn't confirmed yet")
    assert _sweep(app, 60)["reminded"] == 0  # once
    assert _sweep(app, 121)["expired"] == 1
    sender.pump()
    assert body_text(fake_graph.accepted[-1]).startswith("Your checkout timed out")
    assert orders(app) == [] and stock(app, "HOM-CAN-FIG") == 20
    assert "2 × Soy candle, fig" in body_text(chat.say("cart")[-1])  # the cart is kept


def test_no_reminder_outside_the_24_hour_window(app, chat, sender, fake_graph):
    from datetime import timedelta

    from bot.models import Customer

    checkout_to_summary(chat)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for c in s.scalars(select(Customer)):
            c.last_inbound_at -= timedelta(hours=25)
    before = len(fake_graph.accepted)
    assert _sweep(app, 31)["reminded"] == 0
    assert _sweep(app, 121)["expired"] == 1
    sender.pump()
    assert len(fake_graph.accepted) == before
