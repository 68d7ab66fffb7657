"""Handing a chat to a person, through signed webhooks, with a controllable clock (time-machine).

The sample shop is open mon-thu 10-20, fri 10-21, sat 11-21 (Europe/Madrid);
2026-11-23 is a Monday. Madrid is UTC+1 in November.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from bot.commerce.payments import signature
from bot.db import transaction
from bot.models import Conversation, Handoff
from bot.staff import handoffs

from .chat import Chat
from .conftest import PAYMENT_SECRET
from .helpers import body_text
from .test_checkout import checkout_to_summary

MADRID = timezone(timedelta(hours=1))
MONDAY_11 = datetime(2026, 11, 23, 11, 0, tzinfo=MADRID)


@pytest.fixture
def clock():
    """Travel to a shop-local moment: `clock.to(datetime)`; time keeps ticking from there."""
    class Clock:
        traveller = None

        def to(self, moment: datetime):
            if self.traveller:
                self.traveller.stop()
            self.traveller = time_machine.travel(moment, tick=True)
            self.traveller.start()

    c = Clock()
    yield c
    if c.traveller:
        c.traveller.stop()


def open_handoffs(app) -> list[Handoff]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return list(s.scalars(select(Handoff).where(Handoff.closed_at.is_(None))))


def all_handoffs(app) -> list[Handoff]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return list(s.scalars(select(Handoff).order_by(Handoff.id)))


def sweep(app):
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return handoffs.sweep(s, app.extensions["shopbot.content"].current(), datetime.now(UTC))


def test_asking_for_a_person_in_opening_hours_promises_a_reply_and_the_bot_goes_quiet(app, chat, clock):
    clock.to(MONDAY_11)
    chat.say("hi")
    sent = chat.say("I want to talk to a person")
    assert body_text(sent[-1]).startswith(
        "Thanks, Sam Rivera! A person from our team will reply here in about 15 minutes.")
    assert "Type *menu* if you'd rather go back" in body_text(sent[-1])
    [handoff] = open_handoffs(app)
    assert handoff.reason == "person" and handoff.assigned_to is None and handoff.waiting_since is not None
    assert chat.say("hello? my parcel is late") == []  # the bot stays quiet: a person answers
    assert chat.say("red shirts") == []  # not even a product search
    assert chat.tap("product:linen-shirt", "Linen shirt") == []


@pytest.mark.parametrize("moment,expected", [
    (datetime(2026, 11, 22, 12, 0, tzinfo=MADRID), "when we open, tomorrow at 10:00"),  # Sunday: closed
    (datetime(2026, 11, 21, 22, 30, tzinfo=MADRID), "when we open, on Monday at 10:00"),  # Saturday night
    (datetime(2026, 11, 24, 8, 15, tzinfo=MADRID), "when we open, today at 10:00"),  # Tuesday morning
])
def test_outside_opening_hours_the_customer_hears_when_the_shop_opens(app, chat, clock, moment, expected):
    clock.to(moment)
    sent = chat.say("can I speak to a human")
    assert "We're closed right now" in body_text(sent[-1]) and expected in body_text(sent[-1])


def test_the_opening_message_speaks_the_customers_language(app, chat, clock):
    clock.to(datetime(2026, 11, 21, 22, 30, tzinfo=MADRID))
    sent = chat.say("quiero hablar con una persona")
    assert "Ahora estamos cerrados" in body_text(sent[-1]) and "el lunes a las 10:00" in body_text(sent[-1])


def test_misses_in_a_row_hand_the_chat_over(app, chat, clock):
    clock.to(MONDAY_11)
    chat.say("hi")
    first = chat.say("zxqv blorf")  # one miss: a hint what to type (and the button)
    assert "talk to a person" not in body_text(first[-1]).lower()
    second = chat.say("wubba lubba")  # two misses: the bot asks outright, but does not hand over yet
    assert "would you like to talk to a person" in body_text(second[-1]).lower()
    assert "Talk to a person" in Chat.buttons(second)
    assert open_handoffs(app) == []
    sent = chat.say("qwerty asdf")
    assert "A person from our team will reply" in body_text(sent[-1])
    assert [h.reason for h in open_handoffs(app)] == ["misses"]


@pytest.mark.parametrize("words,keyword", [("I want to make a complaint", "complaint"),
                                           ("the lamp arrived broken!!", "broken"),
                                           ("quiero poner una reclamación", "reclamacion"),
                                           ("لدي شكوى", "شكوي"), ("الكوب مكسور", "مكسور")])
def test_an_owner_keyword_hands_the_chat_over_at_once(app, chat, clock, words, keyword):
    clock.to(MONDAY_11)
    sent = chat.say(words)
    [handoff] = open_handoffs(app)
    assert handoff.reason == "keyword" and handoff.detail == keyword
    assert len(sent) >= 1


def test_keywords_come_from_the_owners_settings(app, chat, clock, shop_dir):
    clock.to(MONDAY_11)
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("keywords: [complaint,", "keywords: [lampshade, complaint,"))
    chat.say("about the lampshade I bought")
    assert [h.detail for h in open_handoffs(app)] == ["lampshade"]


def test_menu_gives_the_chat_back_to_the_bot_when_the_owner_allows_it(app, chat, clock, shop_dir):
    clock.to(MONDAY_11)
    chat.say("person please")
    sent = chat.say("menu")
    assert sent and sent[-1]["payload"]["type"] == "interactive"  # the main menu
    assert open_handoffs(app) == [] and all_handoffs(app)[0].close_reason == "customer"
    assert chat.say("red shirts") != []  # the bot answers again


def test_menu_does_not_end_the_handoff_when_the_owner_forbids_it(app, chat, clock, shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("menu_returns_to_bot: true", "menu_returns_to_bot: false"))
    clock.to(MONDAY_11)
    sent = chat.say("person please")
    assert "Type *menu*" not in body_text(sent[-1])
    assert chat.say("menu") == [] and len(open_handoffs(app)) == 1


def test_stop_still_works_while_handed_over(app, chat, clock):
    clock.to(MONDAY_11)
    chat.say("person")
    sent = chat.say("stop")
    assert body_text(sent[-1]).startswith("Done. We won't send you any more updates")
    assert len(open_handoffs(app)) == 1


def test_with_no_staff_reply_the_chat_returns_to_the_bot_after_the_configured_open_time(app, chat, clock, sender,
                                                                                       fake_graph):
    clock.to(MONDAY_11)
    chat.say("person")
    clock.to(MONDAY_11 + timedelta(minutes=119))
    assert sweep(app) == 0
    clock.to(MONDAY_11 + timedelta(minutes=121))
    assert sweep(app) == 1
    sender.pump()
    assert body_text(fake_graph.messages_to(chat.number)[-1]).startswith("Sorry, our team couldn't reply in time")
    assert all_handoffs(app)[0].close_reason == "timed_out"
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.get(Conversation, all_handoffs(app)[0].customer_id).state == "menu"
    assert chat.say("red shirts") != []


def test_the_return_deadline_counts_only_opening_hours(app, chat, clock):
    clock.to(datetime(2026, 11, 27, 20, 30, tzinfo=MADRID))  # Friday, closes at 21:00
    chat.say("person")
    [handoff] = open_handoffs(app)
    # 30 minutes on Friday, then 90 from Saturday's 11:00 opening
    returns = handoff.return_at.astimezone(MADRID).replace(microsecond=0, second=0)
    assert returns == datetime(2026, 11, 28, 12, 30, tzinfo=MADRID)
    clock.to(datetime(2026, 11, 28, 9, 0, tzinfo=MADRID))
    assert sweep(app) == 0  # overnight the chat stays with the team


def test_staff_phones_get_a_whatsapp_alert(app, chat, clock, shop_dir, sender, fake_graph):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("alert_numbers: []", 'alert_numbers: ["+34 611 000 111"]'))
    clock.to(MONDAY_11)
    chat.say("person")
    sender.pump()
    [alert] = fake_graph.messages_to("34611000111")
    assert body_text(alert).startswith("🔔 Sam Rivera is waiting for a person (asked for a person)")
    assert "/staff/chats/" in body_text(alert)


def _pay_callback(client, reference, status, amount="36.90", payment_id="pi_1"):
    raw = json.dumps({"reference": reference, "payment_id": payment_id, "amount": amount, "currency": "EUR",
                      "status": status}).encode()
    return client.post("/api/payments/callback", data=raw, headers={
        "Content-Type": "application/json", "X-Signature": signature(PAYMENT_SECRET, raw)})


def _placed_order(app, chat) -> str:
    sent = checkout_to_summary(chat, payment="Card (secure link)")
    chat.tap(chat.buttons(sent)["Confirm"], "Confirm")
    from bot.models import Order
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Order.reference)).one()


def test_a_failed_payment_hands_the_chat_to_a_person(app, chat, client, clock, sender, fake_graph):
    clock.to(MONDAY_11)
    reference = _placed_order(app, chat)
    r = _pay_callback(client, reference, "failed")
    assert r.status_code == 200 and r.json["result"] == "failed payment handed to staff"
    sender.pump()
    last = body_text(fake_graph.messages_to(chat.number)[-1])
    assert last.startswith(f"Your payment for order {reference} didn't go through")
    assert "reply here in about 15 minutes" in last
    assert [(h.reason, h.detail) for h in open_handoffs(app)] == [("payment_failed", reference)]
    _pay_callback(client, reference, "failed")  # the provider retries the notice: nothing new is sent
    sender.pump()
    assert body_text(fake_graph.messages_to(chat.number)[-1]) == last and len(all_handoffs(app)) == 1


def test_a_failed_payment_for_an_order_already_paid_is_ignored(app, chat, client, clock, sender, fake_graph):
    clock.to(MONDAY_11)
    reference = _placed_order(app, chat)
    assert _pay_callback(client, reference, "paid", payment_id="pi_ok").json["result"] == "paid"
    sender.pump()
    before = len(fake_graph.messages_to(chat.number))
    r = _pay_callback(client, reference, "failed", payment_id="pi_late")  # an earlier attempt fails late
    assert r.status_code == 200
    assert r.json == {"result": "ignored", "reason": f"order {reference} is already paid", "reference": reference}
    sender.pump()
    assert len(fake_graph.messages_to(chat.number)) == before and all_handoffs(app) == []


def test_a_payment_that_does_not_match_the_order_is_a_problem_order(app, chat, client, clock):
    clock.to(MONDAY_11)
    reference = _placed_order(app, chat)
    assert _pay_callback(client, reference, "paid", amount="1.00").status_code == 422
    assert [(h.reason, h.detail) for h in open_handoffs(app)] == [("problem_order", reference)]


def test_a_carrier_incident_hands_the_chat_to_a_person(app, chat, client, clock, sender, fake_graph):
    from .test_lifecycle import carrier_event, shipped_order

    clock.to(MONDAY_11)
    reference = shipped_order(app, client, chat)
    r = carrier_event(client, "INCIDENT", "ev-incident")
    assert r.status_code == 200
    assert r.json == {"result": "handed to staff", "event_id": "ev-incident", "status": "shipped"}
    sender.pump()
    last = body_text(fake_graph.messages_to(chat.number)[-1])
    assert last.startswith(f"Something about order {reference} needs a check by our team")
    assert [(h.reason, h.detail) for h in open_handoffs(app)] == [("problem_order", reference)]
