"""Marketing consent (issue 17, item 2), through signed webhooks, the API, the CLI and the fake Graph API:
the menu's "Get offers on WhatsApp", the question after a first order, POST /api/customers/optin,
`shopbot customers optin --csv`, and "stop"/"start" in English, Spanish and Arabic."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from bot import schema
from bot.commerce.consent import may_send_marketing
from bot.content import load_content
from bot.conversation import engine
from bot.conversation.effects import SetMarketingConsent
from bot.conversation.events import Event, EventType, State
from bot.conversation.messages import Text
from bot.db import make_engine, transaction
from bot.models import ConsentEvent, Customer

from .chat import SAM
from .conftest import API_TOKEN, REPO
from .helpers import body_text
from .test_checkout import checkout_to_summary

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
TEST_SHOP = REPO / "tests" / "shop"


def customer(app, phone: str = SAM) -> Customer | None:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Customer).where(Customer.wa_id == phone)).first()


def history(app, phone: str = SAM) -> list[tuple[bool, str, str | None]]:
    """(opted_in, source, detail) of every consent change of the customer, oldest first."""
    with transaction(app.extensions["shopbot.sessions"]) as s:
        rows = s.execute(select(ConsentEvent.opted_in, ConsentEvent.source, ConsentEvent.detail)
                         .join(Customer, Customer.id == ConsentEvent.customer_id)
                         .where(Customer.wa_id == phone).order_by(ConsentEvent.id))
        return [tuple(r) for r in rows]


def events(app) -> int:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return len(s.scalars(select(ConsentEvent)).all())


# -- the chat ----------------------------------------------------------------------------------------

def test_the_menu_offers_marketing_and_one_tap_opts_in(app, chat):
    sent = chat.say("hi")
    assert "🔔 Get offers on WhatsApp" in chat.buttons(sent)
    assert not may_send_marketing(customer(app))  # never asked: no marketing
    sent = chat.tap(chat.buttons(sent)["🔔 Get offers on WhatsApp"])
    assert body_text(sent[-1]) == ("🔔 Done! You'll get our offers and news here on WhatsApp. "
                                   "Write *stop* any time to stop them.")
    after = customer(app)
    assert may_send_marketing(after) and after.marketing_consent_source == "chat"
    assert after.marketing_consent_at.tzinfo is not None
    chat.tap("menu:offers")  # again: still in, the first consent is the one kept
    assert history(app) == [(True, "chat", None)]


@pytest.mark.parametrize("lang,hello,stop,start,stopped,started", [
    ("en", "hi", "stop", "start",
     "Done. We won't send you any more updates, reminders or offers. Write *start* whenever you want them back",
     "Welcome back! You'll get order updates, reminders and our offers again. Write *stop* any time"),
    ("es", "hola", "parar", "alta",
     "Hecho. No te enviaremos más avisos, recordatorios ni ofertas. Escribe *activar* cuando quieras",
     "¡Hola de nuevo! Volverás a recibir los avisos de tus pedidos, los recordatorios y nuestras ofertas. "
     "Escribe *baja*"),
    ("es", "hola", "baja", "empezar",
     "Hecho. No te enviaremos más avisos", "¡Hola de nuevo!"),
    ("ar", "مرحبا", "توقف", "ابدأ",
     "تم. لن نرسل إليك المزيد من التحديثات أو التذكيرات أو العروض. اكتب *تفعيل*",
     "أهلًا بعودتك! ستصلك تحديثات الطلبات والتذكيرات وعروضنا من جديد. اكتب *إيقاف*"),
    ("ar", "مرحبا", "إلغاء الاشتراك", "تفعيل", "تم. لن نرسل إليك", "أهلًا بعودتك!"),
])
def test_stop_and_start_in_each_language_are_confirmed_at_once(app, chat, lang, hello, stop, start,
                                                                stopped, started):
    chat.say(hello)
    chat.tap("menu:offers")
    sent = chat.say(stop)
    assert body_text(sent[-1]).startswith(stopped)
    out = customer(app)
    assert not may_send_marketing(out) and out.marketing_consent_source == "stop"
    assert out.opted_out_at is not None  # no reminders or updates they did not ask for either
    sent = chat.say(start)
    assert body_text(sent[-1]).startswith(started)
    back = customer(app)
    assert may_send_marketing(back) and back.marketing_consent_source == "start" and back.opted_out_at is None
    assert history(app) == [(True, "chat", None), (False, "stop", None), (True, "start", None)]


def test_stop_during_checkout_opts_out_and_the_checkout_waits(app, chat):
    chat.say("2 candles")
    sent = chat.tap("checkout", "Checkout")
    assert body_text(sent[-1]) == "Is *Sam Rivera* the name for this order?"
    sent = chat.say("stop")
    assert body_text(sent[-1]).startswith("Done. We won't send you any more updates, reminders or offers.")
    assert customer(app).marketing_opt_in is False
    sent = chat.say("checkout")  # the checkout resumes where it was
    assert body_text(sent[-1]) == "Is *Sam Rivera* the name for this order?"


def test_stop_while_a_person_has_the_chat_still_opts_out(app, chat):
    chat.say("talk to a person")
    sent = chat.say("stop")
    assert body_text(sent[-1]).startswith("Done. We won't send you any more updates, reminders or offers.")
    assert customer(app).marketing_opt_in is False


@pytest.mark.parametrize("hello,stopped", [
    ("hi", "Done, no more offers from us. You'll still get the updates about your orders."),
    ("hola", "Hecho, no te enviaremos más ofertas. Seguirás recibiendo los avisos de tus pedidos."),
    ("مرحبا", "تم، لن نرسل إليك المزيد من العروض. ستصلك تحديثات طلباتك كالمعتاد."),
])
def test_a_templates_stop_button_stops_offers_only(app, chat, hello, stopped):
    chat.say(hello)
    chat.tap("menu:offers")
    sent = chat.tap("offers:stop", "Stop offers")  # the payload of a marketing template's stop button
    assert body_text(sent[-1]).startswith(stopped)
    out = customer(app)
    assert not may_send_marketing(out) and out.marketing_consent_source == "stop"
    assert out.opted_out_at is None  # order updates are not marketing: they go on


def test_after_the_stop_button_the_order_updates_still_arrive(app, chat, client, sender):
    from .test_lifecycle import placed, set_status

    reference = placed(chat)
    chat.tap("offers:yes")
    chat.tap("offers:stop", "Stop offers")
    for status in ("confirmed", "paid", "prepared"):
        assert set_status(client, reference, status).status_code == 200
    assert set_status(client, reference, "shipped", carrier="seur", tracking_number="ES42").status_code == 200
    sender.pump()
    assert "ES42" in body_text(chat.fake.messages_to(chat.number)[-1])


# -- the checkout ------------------------------------------------------------------------------------

def place_order(chat) -> list:
    sent = checkout_to_summary(chat)
    return chat.tap(chat.buttons(sent)["Confirm"], "Confirm")


def order_again(chat) -> list:
    """A second order with the same details as last time: what the bot says once it is placed."""
    chat.say("1 tote bag")
    chat.tap("checkout")
    chat.tap("checkout:last")
    sent = chat.tap("checkout:no_note")
    return chat.tap(chat.buttons(sent)["Confirm"], "Confirm")


@pytest.mark.parametrize("tap,opted_in,reply", [
    ("Yes, send offers", True, "🔔 Done! You'll get our offers and news here on WhatsApp."),
    ("No, thanks", False, "No problem, we won't send you offers. You'll still get the updates about your orders."),
])
def test_a_first_order_asks_about_offers_once(app, chat, tap, opted_in, reply):
    placed, question = place_order(chat)
    assert "is placed" in body_text(placed)
    assert body_text(question) == ("Would you like to get our offers on WhatsApp? "
                                   "You can write *stop* any time to stop them.")
    assert list(chat.buttons([question])) == ["Yes, send offers", "No, thanks"]
    sent = chat.tap(chat.buttons([question])[tap], tap)
    assert body_text(sent[-1]).startswith(reply)
    assert may_send_marketing(customer(app)) is opted_in
    assert history(app) == [(opted_in, "checkout", None)]
    again = order_again(chat)
    assert len(again) == 1 and "is placed" in body_text(again[0])  # answered: never asked again


def test_the_question_is_skippable_and_not_asked_twice(app, chat):
    place_order(chat)  # the question goes unanswered
    again = order_again(chat)
    assert len(again) == 1 and "is placed" in body_text(again[0])
    assert customer(app).marketing_opt_in is None and not may_send_marketing(customer(app))


def test_a_customer_who_already_answered_is_not_asked(app, chat):
    chat.say("stop")
    sent = place_order(chat)
    assert len(sent) == 1 and "is placed" in body_text(sent[0])


# -- the website -------------------------------------------------------------------------------------

def test_the_website_opts_in_a_new_customer_and_out_again(app, client):
    r = client.post("/api/customers/optin", json={"phone": "+34 611 222 333", "source": "website",
                                                   "opted_in": True}, headers=TOKEN)
    assert r.status_code == 200, r.json
    assert r.json | {"since": "-"} == {"phone": "34611222333", "opted_in": True, "since": "-",
                                       "source": "website", "changed": True}
    assert may_send_marketing(customer(app, "34611222333"))
    r = client.post("/api/customers/optin", json={"phone": "34611222333"}, headers=TOKEN)
    assert (r.json["opted_in"], r.json["changed"]) == (True, False)  # already in: nothing recorded
    r = client.post("/api/customers/optin", json={"phone": "34611222333", "opted_in": False}, headers=TOKEN)
    assert (r.status_code, r.json["opted_in"], r.json["changed"]) == (200, False, True)
    assert not may_send_marketing(customer(app, "34611222333"))
    assert history(app, "34611222333") == [(True, "website", "POST /api/customers/optin"),
                                           (False, "website", "POST /api/customers/optin")]


def test_the_website_opts_in_a_customer_the_chat_knows(app, client, chat):
    chat.say("hi")
    r = client.post("/api/customers/optin", json={"phone": SAM}, headers=TOKEN)
    assert r.status_code == 200 and may_send_marketing(customer(app))
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert len(s.scalars(select(Customer)).all()) == 1


@pytest.mark.parametrize("body,field,message", [
    ({"phone": "600 11"}, "phone", "must be a WhatsApp number with its country code, 8 to 15 digits"),
    ({"phone": "call me"}, "phone", "must be a WhatsApp number with its country code"),
    ({}, "phone", "field required"),
    ({"phone": SAM, "source": "stop"}, "source", "input should be 'website', 'checkout' or 'import'"),
    ({"phone": SAM, "opted_in": "yes"}, "opted_in", "input should be a valid boolean"),
])
def test_the_website_gets_a_clear_400(app, client, body, field, message):
    r = client.post("/api/customers/optin", json=body, headers=TOKEN)
    assert r.status_code == 400
    assert r.json["field"] == field and r.json["error"].startswith(message), r.json
    assert events(app) == 0


def test_the_website_needs_the_token(app, client):
    r = client.post("/api/customers/optin", json={"phone": SAM})
    assert r.status_code == 401 and events(app) == 0


# -- an import ---------------------------------------------------------------------------------------

def test_an_import_records_each_row_with_its_source(app, runner, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("phone,source,opted_in\n+34 600 111 222,newsletter form,yes\n34611222333,shop counter,\n"
                    "34622333444,old list,no\n", encoding="utf-8")
    result = runner.invoke(args=["customers", "optin", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"{path}: 3 row(s): 2 opted in, 1 opted out, 0 unchanged"
    assert history(app, SAM) == [(True, "import", "newsletter form (list.csv:2)")]
    assert may_send_marketing(customer(app, "34611222333"))
    assert not may_send_marketing(customer(app, "34622333444"))
    result = runner.invoke(args=["customers", "optin", "--csv", str(path)])
    assert result.output.splitlines()[-1] == f"{path}: 3 row(s): 0 opted in, 0 opted out, 3 unchanged"


def test_a_bad_import_names_each_row_and_imports_nothing(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("phone;source;opted_in\n34600111222;form;yes\n600 11;form;yes\n34611222333;;yes\n"
                    "\"34622333444\";\"multi\nline\";perhaps\n34600111222;form;no\n", encoding="utf-8")
    result = runner.invoke(args=["customers", "optin", "--csv", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:3: phone `600 11` must be a WhatsApp number with its country code, 8 to 15 digits (spaces, "
        "dashes and a leading + are fine), like +34 600 111 222",
        f"{path}:4: source is empty: say where the customer gave consent (like \"newsletter form\"), "
        "the proof you may be asked for",
        f"{path}:5: opted_in `perhaps` must be yes or no",
        f"{path}:7: phone 34600111222 is already on line 2",
        f"Error: 4 problem(s) in {path}; nothing imported"]
    assert events(app) == 0 and customer(app) is None


def test_an_import_without_a_source_column_says_so_on_line_1(app, runner, tmp_path):
    path = tmp_path / "phones.csv"
    path.write_text("phone\n34600111222\n", encoding="utf-8")
    result = runner.invoke(args=["customers", "optin", "--csv", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{path}:1: the header has no `source` column (it needs phone, source)"


# -- staff, and the migration ------------------------------------------------------------------------

def test_the_staff_chat_shows_the_consent(app, chat, owner):
    chat.say("hi")
    cid = customer(app).id
    assert '<dd id="consent">never asked</dd>' in owner.get(f"/staff/chats/{cid}").text
    chat.tap("menu:offers")
    page = owner.get(f"/staff/chats/{cid}").text
    assert '<dd id="consent">opted in on ' in page and ", in the chat</dd>" in page


def test_the_migration_adds_and_removes_consent(app, database_url, chat):
    chat.say("stop")
    engine = make_engine(database_url)
    try:
        schema.downgrade(engine, "0013")
        assert "consent_event" not in inspect(engine).get_table_names()
        assert "marketing_opt_in" not in {c["name"] for c in inspect(engine).get_columns("customer")}
        schema.upgrade(engine)
        with engine.begin() as c:
            assert c.execute(text("SELECT marketing_opt_in FROM customer")).scalar_one() is None
            assert c.execute(text("SELECT count(*) FROM consent_event")).scalar_one() == 0
    finally:
        engine.dispose()


# -- the engine, on the test shop whose flows/intents.yaml has no stop/start: the language packs' words -------

@pytest.mark.parametrize("typed,effect,reply", [
    ("stop", SetMarketingConsent(False, "stop"), "No more updates."),
    ("parar", SetMarketingConsent(False, "stop"), "No more updates."),
    ("توقف", SetMarketingConsent(False, "stop"), "No more updates."),
    ("start", SetMarketingConsent(True, "start"), "Updates are back on."),
    ("alta", SetMarketingConsent(True, "start"), "Updates are back on."),
    ("ابدأ", SetMarketingConsent(True, "start"), "Updates are back on."),
])
def test_the_language_packs_words_work_where_the_owner_lists_none(typed, effect, reply):
    content, _warnings = load_content(TEST_SHOP)
    state = State("checkout", {"name": "Ana", "language": "en", "language_locked": True,
                               "checkout": {"ref": "T-1", "step": "name"}})
    after, replies = engine.step(content, state, Event(EventType.TEXT, text=typed))
    assert effect in replies
    assert [r.text for r in replies if isinstance(r, Text)] == [reply]
    assert after.data["checkout"] == {"ref": "T-1", "step": "name"}  # a checkout waits ("checkout" resumes it)
