"""Orders that move like a shop works (issue 15, item 7): payment and fulfilment as two axes, the
payment chosen at checkout setting the payment status, shipping straight from confirmed with the
skipped steps recorded, and changes close together reaching the customer as one message."""
from __future__ import annotations

import time

from sqlalchemy import select, text

from bot import schema
from bot.db import make_engine, transaction
from bot.models import Order, OrderHistory

from .helpers import body_text
from .test_api import callback
from .test_checkout import checkout_to_summary
from .test_lifecycle import TOKEN, set_status

SHIP = {"carrier": "seur", "tracking_number": "ES4455"}


def place(chat, payment: str) -> str:
    sent = checkout_to_summary(chat, payment=payment)
    sent = chat.tap(chat.buttons(sent)["Confirm"])
    return body_text(sent[0]).split("*")[1]


def order_of(app, reference: str) -> Order:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Order).where(Order.reference == reference)).one()


def history_of(app, reference: str) -> list[tuple]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return [(h.from_status, h.to_status, h.note) for h in s.scalars(
            select(OrderHistory).join(Order).where(Order.reference == reference).order_by(OrderHistory.id))]


def updates(chat, fake_graph) -> list[str]:
    """The order updates the customer received since the last look."""
    sent = fake_graph.messages_to(chat.number)
    new, chat.seen = sent[chat.seen:], len(sent)
    return [body_text(m) for m in new if m["payload"]["type"] != "document"]


def test_cash_on_delivery_chosen_in_chat_needs_no_extra_click(app, client, chat):
    reference = place(chat, "Cash on delivery")
    order = client.get(f"/api/orders/{reference}", headers=TOKEN).json
    assert (order["status"], order["payment_status"]) == ("pending", "cash_on_delivery")
    assert set_status(client, reference, "confirmed").status_code == 200
    r = set_status(client, reference, "prepared")  # no "cash on delivery" step in between
    assert r.status_code == 200 and r.json["payment_status"] == "cash_on_delivery"


def test_an_order_paid_by_card_is_never_offered_cash_on_delivery(app, client, chat, owner):
    reference = place(chat, "Card (secure link)")
    assert order_of(app, reference).payment_status == "unpaid"
    body = {"reference": reference, "payment_id": "pi_9", "amount": "36.90", "currency": "EUR"}
    assert callback(client, body).json["result"] == "paid"
    saved = order_of(app, reference)
    assert (saved.status, saved.payment_status) == ("confirmed", "paid")
    page = owner.get(f"/staff/orders/{reference}").text
    assert 'id="event-cash_on_delivery"' not in page and 'id="event-prepare"' in page
    r = set_status(client, reference, "cash_on_delivery")
    assert r.status_code == 409
    assert r.json["error"] == (f"order {reference} is confirmed and paid; it can move to cancelled, prepared or "
                               "refunded, not cash_on_delivery")


def test_an_unpaid_transfer_is_not_prepared(app, client, chat):
    reference = place(chat, "Bank transfer")
    set_status(client, reference, "confirmed")
    r = set_status(client, reference, "prepared")
    assert r.status_code == 409
    assert r.json["error"] == (f"order {reference} is confirmed and unpaid; it is prepared once paid or "
                               "cash_on_delivery")
    assert set_status(client, reference, "paid").status_code == 200
    assert set_status(client, reference, "prepared").status_code == 200


def test_staff_ship_straight_from_confirmed_and_the_skipped_step_is_recorded(app, client, chat, fake_graph):
    reference = place(chat, "Cash on delivery")
    set_status(client, reference, "confirmed")
    chat.sender.pump()
    updates(chat, fake_graph)
    r = set_status(client, reference, "shipped", **SHIP)
    assert r.status_code == 200 and r.json["status"] == "shipped"
    assert history_of(app, reference)[-2:] == [("confirmed", "prepared", "skipped: set straight to shipped"),
                                               ("prepared", "shipped", None)]
    chat.sender.pump()
    [update] = updates(chat, fake_graph)  # one message: shipped, not "prepared" as well
    assert update.startswith(f"🚚 Your order *{reference}* is on its way with SEUR!")


def test_without_skip_steps_each_step_is_needed(app, client, chat, shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("skip_steps: true", "skip_steps: false"))
    app.extensions["shopbot.content"].reload()
    reference = place(chat, "Cash on delivery")
    set_status(client, reference, "confirmed")
    r = set_status(client, reference, "shipped", **SHIP)
    assert r.status_code == 409
    assert r.json["error"] == (f"order {reference} is confirmed and cash_on_delivery; it can move to cancelled, "
                               "paid or prepared, not shipped")


def test_a_cash_on_delivery_order_delivered_is_paid(app, client, chat):
    reference = place(chat, "Cash on delivery")
    set_status(client, reference, "confirmed")
    set_status(client, reference, "shipped", **SHIP)
    assert set_status(client, reference, "delivered").json == {
        "reference": reference, "status": "delivered", "payment_status": "paid"}
    assert history_of(app, reference)[-1] == ("cash_on_delivery", "paid", "cash collected on delivery")
    assert set_status(client, reference, "refunded").json["payment_status"] == "refunded"


def test_changes_within_the_window_reach_the_customer_as_one_message(app, client, chat, fake_graph, shop_dir):
    notifications = shop_dir / "flows" / "notifications.yaml"
    notifications.write_text(notifications.read_text().replace("combine_within_seconds: 0",
                                                               "combine_within_seconds: 1"))
    app.extensions["shopbot.content"].reload()
    reference = place(chat, "Bank transfer")
    for status in ("confirmed", "paid", "prepared"):
        assert set_status(client, reference, status).status_code == 200
    assert set_status(client, reference, "shipped", **SHIP).status_code == 200
    chat.sender.pump()
    assert updates(chat, fake_graph) == []  # nothing yet: the window is open
    reply = chat.say("hi")  # the customer's chat is not held up meanwhile
    assert reply and "Lumen & Loom" in body_text(reply[0])
    time.sleep(1.1)
    assert chat.sender.sweep_deadlines()["order updates"] == 1
    chat.sender.pump()
    [update] = updates(chat, fake_graph)
    assert update.startswith(f"🚚 Your order *{reference}* is on its way with SEUR!")
    assert chat.sender.sweep_deadlines()["order updates"] == 0  # sent once


def test_the_migration_splits_the_old_chain_into_two_axes(database_url):
    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            c.execute(text("DELETE FROM order_history"))
            c.execute(text("DELETE FROM shop_order"))
        schema.downgrade(engine, "0010")
        rows = [("SHP-AAAA1", "paid"), ("SHP-AAAA2", "cash_on_delivery"), ("SHP-AAAA3", "refunded"),
                ("SHP-AAAA4", "refunded"), ("SHP-AAAA5", "shipped")]
        with engine.begin() as c:
            for i, (reference, status) in enumerate(rows, start=1):
                c.execute(text("INSERT INTO shop_order (id, reference, status, source, currency, subtotal, "
                               "shipping_fee, total, stock_reserved, held_updates, created_at, updated_at) VALUES "
                               "(:id, :ref, :status, 'chat', 'EUR', 100, 0, 100, false, 0, :t, :t)"),
                          {"id": i, "ref": reference, "status": status, "t": "2026-12-01 10:00:00+00:00"})
            for order_id, before, after in ((3, "out_for_delivery", "delivered"),
                                            (5, "confirmed", "cash_on_delivery")):
                c.execute(text("INSERT INTO order_history (order_id, from_status, to_status, event, actor, at) "
                               "VALUES (:o, :before, :after, 'test', 'test', :t)"),
                          {"o": order_id, "before": before, "after": after, "t": "2026-12-01 10:00:00+00:00"})
        schema.upgrade(engine)
        with engine.begin() as c:
            found = dict(c.execute(text("SELECT reference, status || '/' || payment_status FROM shop_order")).all())
        assert found == {"SHP-AAAA1": "confirmed/paid", "SHP-AAAA2": "confirmed/cash_on_delivery",
                         "SHP-AAAA3": "delivered/refunded", "SHP-AAAA4": "cancelled/refunded",
                         "SHP-AAAA5": "shipped/cash_on_delivery"}
    finally:
        engine.dispose()
