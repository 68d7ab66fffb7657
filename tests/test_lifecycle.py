"""After the order: every transition, the customer's updates, carriers, invoices, "where is my order?"."""
from __future__ import annotations

import io
import itertools
import re
from datetime import timedelta
from typing import ClassVar

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.commerce import orders
from bot.commerce.orders import FULFILMENT, PAYMENT, IllegalTransition
from bot.db import transaction
from bot.models import CarrierEvent, Customer, Invoice, Order, OrderHistory, OrderStatus, PaymentStatus
from bot.whatsapp.inbound import now

from .chat import Chat
from .conftest import API_TOKEN
from .helpers import at_once, body_text
from .test_checkout import checkout_to_summary

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
EVENTS = sorted({e for (_s, e) in FULFILMENT})


def placed(chat) -> str:
    """A confirmed-in-chat order for 2 candles, delivered to Madrid, paid by bank transfer."""
    sent = checkout_to_summary(chat, payment="Bank transfer")
    sent = chat.tap(chat.buttons(sent)["Confirm"])
    return body_text(sent[0]).split("*")[1]  # then, on a first order, the question about offers


def load(app, reference) -> Order:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Order).where(Order.reference == reference)).one()


def set_status(client, reference, status, **extra):
    return client.post(f"/api/orders/{reference}/status", json={"status": status, **extra}, headers=TOKEN)


# -- the table ----------------------------------------------------------------------------------

@pytest.mark.parametrize("status,event", list(itertools.product([s.value for s in OrderStatus], EVENTS)))
def test_every_step_and_every_refused_one_of_a_paid_order(status, event):
    order = Order(id=1, reference="SHP-TEST1", status=status, payment_status=PaymentStatus.PAID,
                  stock_reserved=False)

    class Session:
        added: ClassVar[list] = []

        def add(self, row):
            self.added.append(row)

    expected = FULFILMENT.get((OrderStatus(status), event))
    if expected is None:
        with pytest.raises(IllegalTransition) as exc:
            orders.transition(Session(), order, event, "test", now())
        assert str(exc.value).startswith(f"order SHP-TEST1 is {status} and paid; it can")
        words = set(re.findall(r"[a-z_]+", str(exc.value)))
        statuses = {str(s) for s in (*OrderStatus, *PaymentStatus)}
        assert event not in words or event in statuses  # statuses, not event names
        assert order.status == status
    else:
        assert orders.transition(Session(), order, event, "test", now()) == expected
        [history] = Session.added
        assert (history.from_status, history.to_status, history.actor) == (status, expected, "test")


def test_the_two_axes():
    path = [("pending", "confirm"), ("confirmed", "prepare"), ("prepared", "ship"),
            ("shipped", "out_for_delivery"), ("out_for_delivery", "deliver")]
    assert [FULFILMENT[(OrderStatus(s), e)] for s, e in path] == [
        "confirmed", "prepared", "shipped", "out_for_delivery", "delivered"]
    assert PAYMENT[(PaymentStatus.UNPAID, "pay")] == PAYMENT[(PaymentStatus.CASH_ON_DELIVERY, "collect")] == "paid"
    assert PAYMENT[(PaymentStatus.PAID, "refund")] == "refunded"
    assert (PaymentStatus.PAID, "cash_on_delivery") not in PAYMENT  # a paid order is never offered it


# -- the customer's updates -----------------------------------------------------------------------

def test_each_status_sends_its_update_inside_the_window(app, client, chat, sender):
    reference = placed(chat)
    steps = [("confirmed", {}, "✅ Good news, Sam Rivera! Your order *{ref}* is confirmed."),
             ("paid", {}, "💳 We've received your payment of €36.90 for order *{ref}*."),
             ("prepared", {}, "📦 Your order *{ref}* is packed and ready; expected next working day."),
             ("shipped", {"carrier": "seur", "tracking_number": "ES9988776655"},
              "🚚 Your order *{ref}* is on its way with SEUR!"),
             ("out_for_delivery", {}, "🛵 Your order *{ref}* is out for delivery today."),
             ("delivered", {}, "🎉 Your order *{ref}* was delivered.")]
    for status, extra, text in steps:
        assert set_status(client, reference, status, **extra).status_code == 200
        sender.pump()
        last = [m for m in chat.fake.messages_to(chat.number) if m["payload"]["type"] != "document"][-1]
        assert body_text(last).startswith(text.format(ref=reference)), status
        assert list(Chat.buttons([last])) == ["Track", "Talk to us"]
    shipped = next(body_text(m) for m in chat.fake.messages_to(chat.number) if "SEUR" in body_text(m))
    assert "Tracking number: ES9988776655" in shipped
    assert "https://www.seur.com/livetracking/?segOnlineIdentificador=ES9988776655" in shipped
    with transaction(app.extensions["shopbot.sessions"]) as s:
        history = [(h.from_status, h.to_status, h.actor) for h in s.scalars(
            select(OrderHistory).join(Order).where(Order.reference == reference).order_by(OrderHistory.id))]
    assert history[0] == (None, "pending", "customer") and history[-1] == ("out_for_delivery", "delivered", "api")


def _close_window(app):
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for c in s.scalars(select(Customer)):
            c.last_inbound_at = now() - timedelta(hours=30)


def test_outside_the_window_the_configured_template_is_sent(app, client, chat, sender):
    reference = placed(chat)
    set_status(client, reference, "confirmed")
    set_status(client, reference, "paid")
    set_status(client, reference, "prepared")
    sender.pump()
    _close_window(app)
    shipped = set_status(client, reference, "shipped", carrier="correos", tracking_number="PQ123456789ES")
    assert shipped.status_code == 200
    sender.pump()
    last = chat.fake.messages_to(chat.number)[-1]["payload"]
    assert last["type"] == "template" and last["template"]["name"] == "order_shipped"
    assert last["template"]["language"] == {"code": "en"}
    params = [x["text"] for x in last["template"]["components"][0]["parameters"]]
    assert params == [reference, "Correos",
                      "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number=PQ123456789ES"]


def test_without_a_template_the_update_is_held_until_the_customer_writes(app, client, chat, sender):
    reference = placed(chat)
    set_status(client, reference, "confirmed")
    sender.pump()
    _close_window(app)
    before = len(chat.fake.messages_to(chat.number))
    set_status(client, reference, "paid")  # no template for "paid" in flows/notifications.yaml
    sender.pump()
    assert len(chat.fake.messages_to(chat.number)) == before
    assert load(app, reference).held_updates == 1
    texts = [body_text(m) for m in chat.say("hello again")]
    paid = next(i for i, t in enumerate(texts) if t.startswith("💳 We've received your payment"))
    assert paid < len(texts) - 1  # the held update goes out first, then the answer to "hello again"
    assert load(app, reference).held_updates == 0


def test_a_fast_shipped_then_delivered_pair_arrives_in_order(app, client, chat, sender, fake_graph):
    reference = placed(chat)
    for status in ("confirmed", "paid", "prepared"):
        set_status(client, reference, status)
    sender.pump()
    fake_graph.latency = 0.05
    set_status(client, reference, "shipped", carrier="seur", tracking_number="X1")
    set_status(client, reference, "delivered")
    sender.pump()
    texts = [body_text(m) for m in chat.fake.messages_to(chat.number)[-2:]]
    assert texts[0].startswith("🚚") and "was delivered" in texts[1]


def test_an_illegal_status_change_is_refused_with_the_current_state(app, client, chat):
    reference = placed(chat)
    r = set_status(client, reference, "delivered")
    assert r.status_code == 409
    assert r.json["error"] == (f"order {reference} is pending and unpaid; it can move to cancelled, "
                               "cash_on_delivery, confirmed or paid, not delivered")  # statuses, never event names
    r = set_status(client, reference, "flying")
    assert r.status_code in (400, 409)
    assert r.json["error"].startswith("`flying` is not an order status (statuses: pending, confirmed,")
    r = set_status(client, reference, "shipped")
    assert r.status_code == 409


def test_shipping_needs_a_tracking_number(app, client, chat):
    reference = placed(chat)
    for status in ("confirmed", "paid", "prepared"):
        set_status(client, reference, status)
    r = set_status(client, reference, "shipped")
    assert r.status_code == 400 and r.json["field"] == "tracking_number"


def test_shopbot_order_set_ships_with_tracking(app, runner, chat, client, sender):
    reference = placed(chat)
    for status in ("confirmed", "paid", "prepared"):
        set_status(client, reference, status)
    result = runner.invoke(args=["order", "set", reference, "shipped", "--carrier", "seur", "--tracking", "ES42"])
    assert result.exit_code == 0, result.output
    sender.pump()
    assert "ES42" in body_text(chat.fake.messages_to(chat.number)[-1])


# -- carriers ---------------------------------------------------------------------------------------

def carrier_event(client, code, event_id, carrier="seur", tracking="ES777", hours=0):
    when = (now() + timedelta(hours=hours)).isoformat()
    return client.post("/api/shipments/events", headers=TOKEN, json={
        "carrier": carrier, "tracking_number": tracking, "code": code, "time": when, "event_id": event_id})


def shipped_order(app, client, chat) -> str:
    reference = placed(chat)
    for status in ("confirmed", "paid", "prepared"):
        set_status(client, reference, status)
    set_status(client, reference, "shipped", carrier="seur", tracking_number="ES777")
    return reference


def test_carrier_events_move_the_order_once_and_never_backwards(app, client, chat, sender):
    reference = shipped_order(app, client, chat)
    assert carrier_event(client, "OUT_FOR_DELIVERY", "ev-1").json["result"] == "applied"
    assert carrier_event(client, "OUT_FOR_DELIVERY", "ev-1").json["result"] == "duplicate"
    delivered = carrier_event(client, "DELIVERED", "ev-2").json
    assert delivered == {"result": "applied", "event_id": "ev-2", "status": "delivered"}
    late = carrier_event(client, "IN_TRANSIT", "ev-0", hours=-5)  # arrives after delivery
    assert late.json["result"] == "stale" and load(app, reference).status == "delivered"
    sender.pump()
    sent = [body_text(m) for m in chat.fake.messages_to(chat.number)]
    assert sum(t.startswith("🛵") for t in sent) == 1 and sum("was delivered" in t for t in sent) == 1
    with transaction(app.extensions["shopbot.sessions"]) as s:
        outcomes = [e.outcome for e in s.scalars(select(CarrierEvent).order_by(CarrierEvent.id))]
        assert outcomes == ["applied", "applied", "stale"]


def test_a_delivered_event_straight_after_shipping_walks_the_path(app, client, chat):
    reference = shipped_order(app, client, chat)
    assert carrier_event(client, "DELIVERED", "ev-9").json["status"] == "delivered"
    assert load(app, reference).status == "delivered"


def test_unknown_carrier_and_unknown_code_are_kept_and_refused(app, client, chat):
    reference = shipped_order(app, client, chat)
    r = carrier_event(client, "DELIVERED", "ev-x", carrier="dhl")
    assert r.status_code == 422 and r.json["result"] == "unknown carrier" and r.json["known"] == ["correos", "seur"]
    r = carrier_event(client, "LOST_IN_SPACE", "ev-y")
    assert r.status_code == 422 and r.json["result"] == "unknown code"
    assert load(app, reference).status == "shipped"
    r = carrier_event(client, "DELIVERED", "ev-z", tracking="NOPE")
    assert r.status_code == 202 and r.json["result"] == "held"
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert len(s.scalars(select(CarrierEvent)).all()) == 3


# -- carrier events before the tracking number is known -------------------------------------------

def ready_to_ship(app, client, chat) -> str:
    reference = placed(chat)
    for status in ("confirmed", "paid", "prepared"):
        assert set_status(client, reference, status).status_code == 200
    return reference


def ship_by_api(app, client, runner, owner, reference, tracking):
    return set_status(client, reference, "shipped", carrier="seur", tracking_number=tracking).status_code == 200


def ship_from_the_desk(app, client, runner, owner, reference, tracking):
    r = owner.post(f"/staff/orders/{reference}/transition",
                   data={"event": "ship", "carrier": "seur", "tracking_number": tracking})
    return r.status_code == 302


def ship_by_command(app, client, runner, owner, reference, tracking):
    result = runner.invoke(args=["order", "set", reference, "shipped", "--carrier", "seur", "--tracking", tracking])
    return result.exit_code == 0


def history_of(app, reference) -> list[tuple[str, str, str]]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return [(h.from_status, h.to_status, h.actor) for h in s.scalars(
            select(OrderHistory).join(Order).where(Order.reference == reference).order_by(OrderHistory.id))]


@pytest.mark.parametrize("ship", [ship_by_api, ship_from_the_desk, ship_by_command])
def test_an_event_before_the_tracking_number_is_held_and_applied_when_the_order_ships(
        app, client, chat, sender, runner, owner, ship):
    reference = ready_to_ship(app, client, chat)
    r = carrier_event(client, "DELIVERED", "ev-early", tracking="ES4242")
    assert r.status_code == 202
    assert r.json == {"result": "held", "event_id": "ev-early",
                      "detail": "held until an order has this tracking number"}
    redelivered = carrier_event(client, "DELIVERED", "ev-early", tracking="ES4242")
    assert redelivered.status_code == 202 and redelivered.json["result"] == "held"  # still held, stored once
    assert load(app, reference).status == "prepared"
    assert ship(app, client, runner, owner, reference, "ES4242")
    assert load(app, reference).status == "delivered"
    shipped, walked, delivered = history_of(app, reference)[-3:]
    assert shipped[:2] == ("prepared", "shipped") and not shipped[2].startswith("carrier")
    assert [walked, delivered] == [("shipped", "out_for_delivery", "carrier:seur"),
                                   ("out_for_delivery", "delivered", "carrier:seur")]
    again = carrier_event(client, "DELIVERED", "ev-early", tracking="ES4242")  # the carrier's redelivery
    assert again.status_code == 200 and again.json["result"] == "duplicate"
    sender.pump()
    sent = [body_text(m) for m in chat.fake.messages_to(chat.number)]
    assert sum(t.startswith("🚚") for t in sent) == 1 and sum("was delivered" in t for t in sent) == 1
    order_id = load(app, reference).id
    with transaction(app.extensions["shopbot.sessions"]) as s:
        [event] = s.scalars(select(CarrierEvent)).all()
        assert (event.outcome, event.order_id) == ("applied", order_id)


def test_held_events_are_applied_in_the_order_they_happened(app, client, chat, sender):
    reference = ready_to_ship(app, client, chat)
    assert carrier_event(client, "DELIVERED", "ev-b", tracking="ES5151", hours=-1).status_code == 202
    assert carrier_event(client, "OUT_FOR_DELIVERY", "ev-a", tracking="ES5151", hours=-3).status_code == 202
    assert carrier_event(client, "IN_TRANSIT", "ev-c", tracking="ES9999", hours=-2).status_code == 202  # another parcel
    other_carrier = carrier_event(client, "E1", "ev-d", carrier="correos", tracking="ES5151")
    assert other_carrier.status_code == 202
    set_status(client, reference, "shipped", carrier="seur", tracking_number="ES5151")
    assert [step[1] for step in history_of(app, reference)[-3:]] == ["shipped", "out_for_delivery", "delivered"]
    with transaction(app.extensions["shopbot.sessions"]) as s:
        outcomes = {e.event_id: e.outcome for e in s.scalars(select(CarrierEvent))}
    assert outcomes == {"ev-a": "applied", "ev-b": "applied", "ev-c": "held", "ev-d": "held"}


def test_the_same_event_id_from_two_carriers_is_two_events(app, client, chat):
    reference = shipped_order(app, client, chat)
    assert carrier_event(client, "A1", "42", carrier="correos", tracking="PQ1").status_code == 202
    r = carrier_event(client, "DELIVERED", "42")
    assert r.status_code == 200 and r.json["result"] == "applied" and load(app, reference).status == "delivered"


def test_staff_see_held_events_on_the_desk_and_the_command_line(app, client, chat, runner, owner):
    reference = ready_to_ship(app, client, chat)
    carrier_event(client, "OUT_FOR_DELIVERY", "ev-h", tracking="ES7070")
    desk = owner.get("/staff/orders").text
    assert "Carrier events waiting for a tracking number (1)" in desk
    row = desk.split('class="list held-events"')[1].split("</table>")[0]
    assert "SEUR" in row and "ES7070" in row and "OUT_FOR_DELIVERY" in row
    listed = runner.invoke(args=["order", "held"])
    assert listed.exit_code == 0 and listed.stdout.startswith("seur\tES7070\tOUT_FOR_DELIVERY\t")
    assert "ev-h" in listed.stdout and "1 carrier event(s) held" in listed.stderr
    set_status(client, reference, "shipped", carrier="seur", tracking_number="ES7070")
    assert load(app, reference).status == "out_for_delivery"
    assert "Carrier events waiting" not in owner.get("/staff/orders").text
    assert runner.invoke(args=["order", "held"]).stdout == ""


# -- invoices ----------------------------------------------------------------------------------------

def invoice_of(app, reference) -> Invoice:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Invoice).join(Order).where(Order.reference == reference)).one()


def test_the_builtin_invoice_pdf_is_sent_on_confirmation(app, client, chat, sender):
    reference = placed(chat)
    set_status(client, reference, "confirmed")
    sender.pump()
    invoice = invoice_of(app, reference)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf)).pages)
    year = now().year
    assert invoice.number == f"LL-{year}-00001"
    assert f"Invoice LL-{year}-00001" in text and f"Order: {reference}" in text
    assert "Soy candle, fig" in text and "€16.50" in text and "€33.00" in text
    assert "Delivery: Madrid city" in text and "€3.90" in text
    assert "VAT 21% (included)" in text and "€6.40" in text  # 36.90 × 21/121
    assert "Total" in text and "€36.90" in text and "Lumen & Loom SL" in text
    document = [m for m in chat.fake.messages_to(chat.number) if m["payload"]["type"] == "document"]
    assert len(document) == 1
    assert document[0]["payload"]["document"]["filename"] == f"invoice-LL-{year}-00001.pdf"
    assert document[0]["payload"]["document"]["caption"] == f"🧾 Invoice LL-{year}-00001 for order *{reference}*"


def test_invoice_numbers_never_repeat_under_concurrent_confirmations(app, client, chat):
    references = [client.post("/api/orders", headers=TOKEN, json={"items": [{"sku": "HOM-SOAP"}]}).json["reference"]
                  for _ in range(8)]
    import httpx

    from bot.sandbox.fake_graph import LocalServer

    server = LocalServer(app)
    try:
        codes = at_once([lambda r=r: httpx.post(f"{server.url}/api/orders/{r}/status", json={"status": "confirmed"},
                                                headers=TOKEN, timeout=30).status_code for r in references])
    finally:
        server.close()
    assert codes == [200] * len(references)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        numbers = sorted(i.number for i in s.scalars(select(Invoice)))
    year = now().year
    assert numbers == [f"LL-{year}-{n:05d}" for n in range(1, len(references) + 1)]  # no gaps, no doubles


def test_an_external_invoice_is_forwarded_as_a_document(app, client, chat, sender, shop_dir):
    invoice_yaml = shop_dir / "flows" / "invoice.yaml"
    invoice_yaml.write_text(invoice_yaml.read_text().replace("source: builtin", "source: external"))
    app.extensions["shopbot.content"].reload()
    reference = placed(chat)
    set_status(client, reference, "confirmed")
    r = client.post(f"/api/orders/{reference}/invoice", headers=TOKEN,
                    json={"number": "F-2026-118", "url": "https://invoices.example/F-2026-118.pdf"})
    assert r.status_code == 201 and r.json["queued_for_customer"] is True
    assert client.post(f"/api/orders/{reference}/invoice", headers=TOKEN,
                       json={"number": "F-2", "url": "https://x.example/2.pdf"}).status_code == 409
    sender.pump()
    document = chat.fake.messages_to(chat.number)[-1]["payload"]
    assert document["document"]["link"] == "https://invoices.example/F-2026-118.pdf"
    assert "Invoice F-2026-118" in document["document"]["caption"]


def test_an_external_pdf_upload_is_checked(app, client, chat):
    reference = placed(chat)
    r = client.post(f"/api/orders/{reference}/invoice?number=F-9", headers=TOKEN | {"Content-Type": "application/pdf"},
                    data=b"not a pdf")
    assert r.status_code == 422 and r.json["field"] == "pdf"  # any bytes are a well-formed body; these are no PDF


# -- where is my order? -------------------------------------------------------------------------------

STATUS_QUESTIONS = [
    "where is my order", "where is my order?", "Where's my order??", "wher is my ordr", "whre is my order",
    "order status", "status of my order", "my orders", "my order", "track my order", "tracking",
    "has it shipped?", "has my order shipped", "did you ship my order", "when will my order arrive",
    "when does my order arrive?", "is my order on its way", "delivery status", "where is my package",
    "where is my parcel", "dónde está mi pedido", "donde esta mi pedido?", "estado de mi pedido",
    "mis pedidos", "seguimiento", "cuándo llega mi pedido", "ya enviaron mi pedido?", "أين طلبي",
    "وين طلبي", "حالة الطلب", "طلباتي", "متى يصل طلبي", "STATUS", "Order status please",
]


def test_status_questions_are_answered_with_the_order(app, client, chat, sender):
    reference = placed(chat)
    for status in ("confirmed", "paid", "prepared"):
        set_status(client, reference, status)
    set_status(client, reference, "shipped", carrier="seur", tracking_number="ES555")
    sender.pump()
    assert len(STATUS_QUESTIONS) >= 30
    misses = []
    answers = (f"📦 *Order {reference}*: shipped", f"📦 *Pedido {reference}*: enviado", f"📦 *الطلب {reference}*")
    for question in STATUS_QUESTIONS:  # each in the language it is asked in (a clear switch is followed)
        sent = chat.say(question)
        if not body_text(sent[-1]).startswith(answers):
            misses.append((question, body_text(sent[-1]).splitlines()[0]))
    assert misses == []
    answer = body_text(chat.say("where is my order, please tell me")[-1])
    assert "Track it: https://www.seur.com/livetracking/?segOnlineIdentificador=ES555" in answer
    assert "Expected: next working day" in answer
    assert [line for line in answer.splitlines() if line.startswith("• ")][-2:] == [
        line for line in answer.splitlines() if line.startswith("• ")][-2:]
    assert answer.splitlines()[-1].endswith(": shipped")


def test_the_track_button_and_a_typed_reference(app, client, chat):
    reference = placed(chat)
    sent = chat.tap(f"track:{reference}", "Track")
    assert body_text(sent[-1]).startswith(f"📦 *Order {reference}*: received, waiting for confirmation")
    sent = chat.say(f"status {reference.lower()}")
    assert body_text(sent[-1]).startswith(f"📦 *Order {reference}*")


def test_several_open_orders_give_a_list(app, chat):
    first = placed(chat)
    chat.say("1 tote bag")
    chat.tap("checkout")
    sent = chat.tap("checkout:last", "Use these")
    sent = chat.tap("checkout:no_note")
    sent = chat.tap(chat.buttons(sent)["Confirm"])
    second = body_text(sent[-1]).split("*")[1]
    sent = chat.say("where is my order?")
    assert body_text(sent[-1]) == "Which order do you mean?"
    assert set(Chat.buttons(sent)) == {first, second}


def test_no_orders_yet(app, chat):
    assert body_text(chat.say("where is my order")[-1]).startswith("I can't find any orders")


def test_another_customers_reference_reveals_nothing_in_chat(app, post, sender, fake_graph, chat):
    reference = placed(chat)
    stranger = Chat(post, sender, fake_graph, number="34699000111", name="Eve")
    for asked in (f"status {reference}", f"where is {reference}"):
        unknown = body_text(stranger.say(asked)[-1])
        made_up = body_text(stranger.say(asked.replace(reference, "SHP-XXXXX"))[-1])
        assert unknown == made_up.replace("SHP-XXXXX", reference)
    assert body_text(stranger.tap(f"track:{reference}")[-1]).startswith("I couldn't find an order")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_change_from_another_process_wakes_the_sqlite_sender_at_once(app, app_config, chat, sender, tmp_path):
    """Issue 15, item 10: `shopbot order set` beside `shopbot run` on SQLite (no NOTIFY) reaches the
    customer in about a second, not on the sender's 30 s sweep."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from .processes import live_env

    reference = placed(chat)
    seen = len(chat.fake.messages_to(chat.number))
    sender.start()
    try:
        shopbot = str(Path(sys.executable).parent / "shopbot")
        done = subprocess.run([shopbot, "order", "set", reference, "confirmed", "--by", "ana"],
                              env=live_env(app_config), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        changed_at = time.monotonic()
        while len(chat.fake.messages_to(chat.number)) == seen and time.monotonic() - changed_at < 5:
            time.sleep(0.05)
        assert len(chat.fake.messages_to(chat.number)) > seen, "the update waited for the sweep"
        assert time.monotonic() - changed_at < 3
    finally:
        sender.stop()


def test_the_sandbox_invoice_tile_opens_the_pdf(app, app_config, client, chat, sender):
    """Issue 15, item 9: in the sandbox, the invoice's document tile links to the PDF itself."""
    from bot.app import create_app
    from bot.models import SandboxMessage

    from .conftest import sandbox_config

    reference = placed(chat)
    set_status(client, reference, "confirmed")
    sender.pump()
    [document] = [m for m in chat.fake.messages_to(chat.number) if m["payload"]["type"] == "document"]
    with transaction(app.extensions["shopbot.sessions"]) as s:  # what the sandbox's fake Graph API keeps
        s.add(SandboxMessage(wamid=document["wamid"], recipient=chat.number, payload=document["payload"]))
    sandbox = create_app(sandbox_config(app_config, "http://127.0.0.1:5000"))
    try:
        page = sandbox.test_client()
        [entry] = [m for m in page.get("/sandbox/api/feed", query_string={"customer": chat.number}).json["messages"]
                   if m["wamid"] == document["wamid"]]
        link = entry["payload"]["document"]["link"]
        pdf = page.get(link)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data == invoice_of(app, reference).pdf
    finally:
        sandbox.extensions["shopbot.engine"].dispose()
