"""The staff dashboard over HTTP: accounts and login, CSRF, escaping, replies, handoffs and the order desk."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from bot.app import create_app
from bot.db import transaction
from bot.models import Customer, Handoff, Order, OrderHistory, OutboundMessage, StaffMember

from .chat import Chat
from .conftest import STAFF_PASSWORD, StaffClient, csrf_of, make_staff
from .helpers import body_text, count
from .test_checkout import checkout_to_summary

SAM = "34600111222"


def customer_id(app, wa_id=SAM) -> int:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Customer.id).where(Customer.wa_id == wa_id)).one()


def handoff_of(app, cid) -> Handoff | None:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Handoff).where(Handoff.customer_id == cid).order_by(Handoff.id.desc())).first()


def login_attempt(app, client, password, email="ana@shop.example"):
    token = csrf_of(client.get("/staff/login").text)
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})


# -- accounts and login ------------------------------------------------------------------------------------------

def test_staff_add_creates_an_account_that_can_log_in(app, runner):
    r = runner.invoke(args=["staff", "add", "Eva@Shop.example", "--name", "Eva", "--role", "staff",
                            "--password", "a long enough one"])
    assert r.exit_code == 0 and "eva@shop.example (staff) can log in" in r.output
    with transaction(app.extensions["shopbot.sessions"]) as s:
        member = s.scalars(select(StaffMember)).one()
        assert member.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert "a long enough one" not in member.password_hash
    assert login_attempt(app, app.test_client(), "a long enough one", "eva@shop.example").status_code == 302


def test_staff_add_prompts_for_the_password_and_refuses_short_ones(app, runner):
    r = runner.invoke(args=["staff", "add", "eva@shop.example", "--name", "Eva"], input="short\nshort\n")
    assert r.exit_code == 2 and "must be at least 10 characters" in r.output
    r = runner.invoke(args=["staff", "add", "eva@shop.example", "--name", "Eva"],
                      input="long password 1\nlong password 1\n")
    assert r.exit_code == 0
    assert "already has an account" in runner.invoke(args=["staff", "add", "eva@shop.example", "--name", "E",
                                                           "--password", "long password 1"]).output


def test_the_dashboard_needs_a_login(app, client):
    r = client.get("/staff/orders")
    assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
    assert client.get("/staff/poll.json").status_code == 302 or client.get("/staff/poll.json").status_code == 401


def test_a_wrong_password_is_refused_and_repeated_failures_are_slowed(app):
    make_staff(app)
    client = app.test_client()
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False) as traveller:
        for _ in range(3):
            r = login_attempt(app, client, "wrong password")
            assert r.status_code == 401 and "match an account" in r.text
        r = login_attempt(app, client, "wrong password")  # the 4th failure starts a lock-out
        assert r.status_code == 401
        r = login_attempt(app, client, STAFF_PASSWORD)  # even the right password waits now
        assert r.status_code == 429 and "Try again in 2 seconds" in r.text
        traveller.shift(3)
        assert login_attempt(app, client, "wrong again").status_code == 401
        assert "Try again in 4 seconds" in login_attempt(app, client, STAFF_PASSWORD).text  # doubles
        traveller.shift(5)
        assert login_attempt(app, client, STAFF_PASSWORD).status_code == 302


def test_unknown_addresses_are_answered_like_wrong_passwords(app):
    make_staff(app)
    r = login_attempt(app, app.test_client(), "whatever", email="nobody@shop.example")
    assert r.status_code == 401 and "match an account" in r.text


def test_the_session_times_out_after_the_idle_limit(app):
    make_staff(app)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False) as traveller:
        staff = StaffClient(app)
        traveller.shift(timedelta(hours=7))
        assert staff.get("/staff/inbox").status_code == 200  # activity keeps it alive
        traveller.shift(timedelta(hours=8, minutes=1))
        r = staff.get("/staff/inbox")
        assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
        assert "Staff log in" in staff.get(r.headers["Location"]).text


def test_an_idle_session_is_refused_by_the_server_too(app):
    """Even if a browser keeps the cookie past its expiry, the server checks the last activity."""
    make_staff(app)
    staff = StaffClient(app)
    with staff.http.session_transaction() as session:
        session["seen"] -= 8 * 3600 + 60
    r = staff.get("/staff/inbox")
    assert r.status_code == 302 and "expired=1" in r.headers["Location"]
    assert "Your session timed out" in staff.get(r.headers["Location"]).text


def test_logout_ends_the_session(app, owner):
    assert owner.post("/staff/logout").status_code == 302
    assert owner.get("/staff/inbox").status_code == 302


def test_cookies_are_secure_httponly_and_samesite_in_production(app_config):
    app = create_app(dict(app_config, WHATSAPP_TOKEN="real-token", WHATSAPP_PHONE_ID="1"))
    r = app.test_client().get("/staff/login", base_url="https://shop.example")
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["shopbot.engine"].dispose()


def test_owner_only_pages_are_refused_to_staff(app, owner, colleague):
    assert colleague.get("/staff/settings").status_code == 403
    page = owner.get("/staff/settings")
    assert page.status_code == 200 and "luis@shop.example" in page.text and "about 15 minutes" in page.text


def test_owners_add_colleagues_in_the_browser(app, owner):
    r = owner.post("/staff/settings/staff", data={"name": "Eva", "email": "eva@shop.example", "role": "staff",
                                                  "password": "short"})
    assert r.status_code == 400 and "Password must be at least 10 characters" in r.text and "eva@shop.example" in r.text
    assert owner.post("/staff/settings/staff", data={"name": "Eva", "email": "eva@shop.example", "role": "staff",
                                                     "password": "long enough pw"}).status_code == 302
    assert login_attempt(app, app.test_client(), "long enough pw", "eva@shop.example").status_code == 302


# -- CSRF and escaping -------------------------------------------------------------------------------------------

def test_a_post_without_the_csrf_token_is_rejected_and_changes_nothing(app, owner, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("hi")
    cid = customer_id(app)
    r = owner.http.post(f"/staff/chats/{cid}/takeover")
    assert r.status_code == 400 and "This form has expired" in r.text
    r = owner.http.post(f"/staff/chats/{cid}/reply", data={"text": "hi", "csrf_token": "forged"})
    assert r.status_code == 400
    assert handoff_of(app, cid) is None
    assert app.test_client().post("/staff/login", data={"email": "a@b.c", "password": "x"}).status_code == 400


XSS = ['<script>alert("x")</script>', '<img src=x onerror="alert(1)">']


def test_customer_text_is_shown_escaped_everywhere(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph, name='<b onmouseover="alert(2)">Eve</b>')
    chat.say("talk to a person")
    for payload in XSS:
        chat.say(payload)
    cid = customer_id(app)
    for page in (owner.get(f"/staff/chats/{cid}").text, owner.get("/staff/inbox?view=all").text,
                 owner.get("/staff/inbox/rows?view=all").text,
                 owner.get(f"/staff/chats/{cid}/live.json").json["transcript"]):
        assert "<script>alert" not in page and "<img src=x" not in page and '<b onmouseover' not in page
    chat_page = owner.get(f"/staff/chats/{cid}").text
    assert html.escape(XSS[0], quote=False) in chat_page or "&lt;script&gt;" in chat_page


# -- handing over, replying, handing back ------------------------------------------------------------------------

def test_a_waiting_chat_is_listed_with_how_long_it_has_waited(app, post, sender, fake_graph):
    make_staff(app)
    with time_machine.travel(datetime(2026, 11, 23, 11, 0, tzinfo=UTC), tick=False) as traveller:
        owner = StaffClient(app)
        Chat(post, sender, fake_graph).say("I have a complaint about my order")
        traveller.shift(timedelta(minutes=7))
        rows = owner.get("/staff/inbox").text
        assert "Sam Rivera" in rows and "7 minutes" in rows and "said a watched word: “complaint”" in rows
        assert owner.get("/staff/poll.json").json == {"waiting": 1, "mine": 0, "unassigned": 1, "mine_waiting": 0}
        assert "Sam Rivera" in owner.get("/staff/inbox?view=unassigned").text
        assert "Sam Rivera" not in owner.get("/staff/inbox?view=mine").text
        assert "Sam Rivera" in owner.get("/staff/inbox?view=all&q=600111").text
        assert "Sam Rivera" not in owner.get("/staff/inbox?view=all&q=nobody").text


def test_a_staff_reply_reaches_whatsapp_and_records_the_first_response(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    chat.say("person")
    cid = customer_id(app)
    r = owner.post(f"/staff/chats/{cid}/reply", data={"text": "Hi Sam, Ana here. Let me check."})
    assert r.status_code == 302
    sender.pump()
    assert body_text(fake_graph.messages_to(SAM)[-1]) == "Hi Sam, Ana here. Let me check."
    handoff = handoff_of(app, cid)
    assert handoff.first_response_at is not None and handoff.waiting_since is None and handoff.assigned_to is not None
    with transaction(app.extensions["shopbot.sessions"]) as s:
        row = s.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc())).first()
        assert row.staff_id == handoff.assigned_to
    page = owner.get(f"/staff/chats/{cid}").text
    assert "You have this chat" in page and "Ana" in page and "All sorted" not in page and "✓ <span>sent</span>" in page
    chat.say("thanks, it's order 123")  # the customer answers: waiting again, and the bot stays quiet
    assert handoff_of(app, cid).waiting_since is not None
    assert handoff_of(app, cid).first_response_at == handoff.first_response_at


def test_staff_can_take_over_a_chat_the_bot_is_handling(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    chat.say("hi")
    cid = customer_id(app)
    owner.post(f"/staff/chats/{cid}/takeover")
    handoff = handoff_of(app, cid)
    assert handoff.reason == "staff" and handoff.waiting_since is None
    assert chat.say("red shirts") == []  # the bot is quiet now


def test_a_colleagues_chat_cannot_be_answered_unknowingly(app, owner, colleague, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("person")
    cid = customer_id(app)
    colleague.post(f"/staff/chats/{cid}/takeover")
    page = owner.get(f"/staff/chats/{cid}").text
    assert "Luis has this chat" in page
    r = owner.post(f"/staff/chats/{cid}/reply", data={"text": "my careful draft"})
    assert r.status_code == 409 and "Luis has this chat, so your reply was not sent" in r.text
    assert "my careful draft" in r.text  # nothing lost
    assert owner.get(f"/staff/chats/{cid}/live.json").json["mine"] is False
    owner.post(f"/staff/chats/{cid}/takeover")  # taking over on purpose is allowed, and Luis sees it live
    assert "Ana has this chat" in colleague.get(f"/staff/chats/{cid}/live.json").json["header"]


def test_assign_to_a_colleague(app, owner, colleague, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("person")
    cid = customer_id(app)
    luis = colleague.get("/staff/inbox")  # noqa: F841  (Luis is logged in too)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        luis_id = s.scalars(select(StaffMember.id).where(StaffMember.email == "luis@shop.example")).one()
    owner.post(f"/staff/chats/{cid}/assign", data={"staff_id": luis_id})
    assert handoff_of(app, cid).assigned_to == luis_id
    assert "Sam Rivera" in colleague.get("/staff/inbox?view=mine").text


def test_hand_back_tells_the_customer_and_the_bot_answers_again(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    chat.say("person")
    cid = customer_id(app)
    owner.post(f"/staff/chats/{cid}/reply", data={"text": "All sorted!"})
    owner.post(f"/staff/chats/{cid}/handback")
    sender.pump()
    assert body_text(fake_graph.messages_to(SAM)[-1]).startswith("You're back with the shop assistant")
    assert handoff_of(app, cid).close_reason == "handed_back"
    assert chat.say("red shirts") != []


def test_canned_replies_come_from_flows(app, owner, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("person")
    page = owner.get(f"/staff/chats/{customer_id(app)}").text
    assert "Hi Sam Rivera, this is Ana from Lumen &amp; Loom. How can I help?" in page


def test_the_payment_button_shows_in_the_chat_with_its_link(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    summary = checkout_to_summary(chat, payment="Card (secure link)")
    reference = body_text(summary[-1]).splitlines()[0].removeprefix("🧾 *Order ").removesuffix("*")
    chat.tap(f"confirm:{reference}", "Confirm")
    page = html.unescape(owner.get(f"/staff/chats/{customer_id(app)}").text)
    assert "securely on our payment page: tap the button below. We never ask for card numbers in chat." in page
    link = f"https://pay.example.com/lumenloom?reference={reference}&amount=36.90&currency=EUR"
    assert f'<a class="chip link" href="{link}" rel="noopener noreferrer" target="_blank">↗ Pay now</a>' in page


def test_the_transcript_draws_whatsapp_messages_not_markup(app, owner, post, sender, fake_graph):
    """Issue 16, item 2: bold drawn, buttons and list rows as chips, taps as a choice, a product card
    with its photo and SKU, a location with a map link, a reply quoting the message it answers."""
    from . import payloads

    chat = Chat(post, sender, fake_graph)
    chat.say("hi")
    chat.say("candles")
    sent = chat.tap("menu", "Main menu")
    menu_wamid = sent[-1]["wamid"]
    post(payloads.body(payloads.messages_value(SAM, payloads.message(SAM, "text", {"body": "what about *this*?"}))))
    reply = payloads.message(SAM, "text", {"body": "and the price?"})
    reply["context"] = {"from": "15550001234", "id": menu_wamid}
    post(payloads.body(payloads.messages_value(SAM, reply)))
    chat.location(40.4168, -3.7038, name="Puerta del Sol")
    chat.say("talk to a person")
    page = owner.get(f"/staff/chats/{customer_id(app)}").text
    assert "Tap <strong>Menu</strong>" in page and "*Menu*" not in page
    assert '<span class="chip" dir="auto">Add to cart</span>' in page and "[Add to cart]" not in page
    assert '<div class="tapped" dir="auto">↩ Main menu</div>' in page and "[tapped]" not in page
    assert '<img class="card-image" src="/catalog/images/soy-candle.png"' in page and "SKU HOM-CAN-FIG" in page
    assert "what about <strong>this</strong>?" in page  # as the customer's own WhatsApp showed it
    assert '<blockquote class="quoted" dir="auto">' in page
    assert "https://www.openstreetmap.org/?mlat=40.4168&amp;mlon=-3.7038" in page and "Puerta del Sol" in page


def test_when_the_window_is_closed_only_templates_can_be_sent(app, owner, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("person")
    cid = customer_id(app)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        s.get(Customer, cid).last_inbound_at -= timedelta(hours=25)
    page = owner.get(f"/staff/chats/{cid}").text
    assert "24-hour window closed" in page and "reopen_conversation" in page and 'id="send-reply"' not in page
    r = owner.post(f"/staff/chats/{cid}/reply", data={"text": "hello?"})
    assert r.status_code == 409 and "only accepts an approved template" in r.text
    owner.post(f"/staff/chats/{cid}/template", data={"name": "staff_follow_up"})
    sender.pump()
    sent = fake_graph.messages_to(SAM)[-1]["payload"]
    assert sent["type"] == "template" and sent["template"]["name"] == "staff_follow_up"
    params = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    assert params == ["Sam Rivera", "Ana"]


def test_failed_sends_show_their_reason(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    chat.say("person")
    cid = customer_id(app)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        row = s.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc())).first()
        row.status, row.error_code, row.error_title = "dead", 131026, "Message undeliverable"
    page = owner.get(f"/staff/chats/{cid}").text
    assert "Not delivered: Message undeliverable (131026)" in page


# -- the order desk ----------------------------------------------------------------------------------------------

def placed_order(app, post, sender, fake_graph) -> str:
    chat = Chat(post, sender, fake_graph)
    sent = checkout_to_summary(chat)
    chat.tap(chat.buttons(sent)["Confirm"], "Confirm")
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalars(select(Order.reference)).one()


def buttons_on(page: str) -> list[str]:
    return re.findall(r'id="event-([a-z_]+)"', page)


def test_the_order_page_offers_exactly_the_allowed_changes(app, owner, post, sender, fake_graph):
    reference = placed_order(app, post, sender, fake_graph)
    # paid on delivery, as chosen at checkout: it may be confirmed, paid (cash taken early) or cancelled
    assert buttons_on(owner.get(f"/staff/orders/{reference}").text) == ["confirm", "pay", "cancel"]
    owner.post(f"/staff/orders/{reference}/transition", data={"event": "confirm"})
    # no "Cash on delivery" step to click: it is ready to prepare, or to ship at once (skip_steps)
    assert buttons_on(owner.get(f"/staff/orders/{reference}").text) == ["pay", "prepare", "ship", "cancel"]
    r = owner.post(f"/staff/orders/{reference}/transition", data={"event": "refund"})
    assert r.status_code == 409 and "does not apply" in r.text


def test_shipping_from_the_desk_needs_tracking_and_tells_the_customer(app, owner, post, sender, fake_graph):
    reference = placed_order(app, post, sender, fake_graph)
    for event in ("confirm", "prepare"):
        assert owner.post(f"/staff/orders/{reference}/transition", data={"event": event}).status_code == 302
    r = owner.post(f"/staff/orders/{reference}/transition", data={"event": "ship", "carrier": "seur"})
    assert r.status_code == 409 and "Shipping needs the carrier and the tracking number" in r.text
    r = owner.post(f"/staff/orders/{reference}/transition",
                   data={"event": "ship", "carrier": "seur", "tracking_number": "ES998877"})
    assert r.status_code == 302
    sender.pump()
    update = body_text(fake_graph.messages_to(SAM)[-1])
    assert reference in update and "ES998877" in update
    with transaction(app.extensions["shopbot.sessions"]) as s:
        history = s.scalars(select(OrderHistory).order_by(OrderHistory.id.desc())).first()
        assert (history.to_status, history.actor) == ("shipped", "staff:ana@shop.example")
    page = owner.get(f"/staff/orders/{reference}").text
    assert "ES998877" in page and buttons_on(page) == ["pay", "out_for_delivery", "deliver"]  # cash taken early


def test_the_desk_filters_searches_and_flags_forgotten_orders(app, owner, post, sender, fake_graph):
    reference = placed_order(app, post, sender, fake_graph)
    assert reference in owner.get("/staff/orders?status=pending").text
    assert reference not in owner.get("/staff/orders?status=shipped").text
    assert reference in owner.get(f"/staff/orders?q={reference.lower()}").text
    assert reference in owner.get("/staff/orders?q=Sam").text
    assert reference in owner.get("/staff/orders?q=600 111").text
    assert reference not in owner.get("/staff/orders?q=nobody").text
    zone = ZoneInfo(app.extensions["shopbot.content"].current().hours.timezone)
    today = datetime.now(zone).date()  # the shop's day, not UTC's: they differ an hour a night in Madrid
    assert reference in owner.get(f"/staff/orders?from={today}&to={today}").text
    assert reference not in owner.get(f"/staff/orders?from={today + timedelta(days=1)}").text
    assert "forgotten" not in owner.get(f"/staff/orders/{reference}").text.split("<h1>")[1].split("</h1>")[0]
    with transaction(app.extensions["shopbot.sessions"]) as s:
        s.scalars(select(Order)).one().created_at -= timedelta(hours=25)
    desk = owner.get("/staff/orders").text
    assert "1 pending order waiting too long" in desk and 'class="flag">forgotten' in desk
    assert reference in owner.get("/staff/orders?status=forgotten").text
    with transaction(app.extensions["shopbot.sessions"]) as s:  # 23:30 UTC is already the 8th in Madrid
        s.scalars(select(Order)).one().created_at = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    assert reference in owner.get("/staff/orders?from=2026-12-08&to=2026-12-08").text
    assert reference not in owner.get("/staff/orders?from=2026-12-07&to=2026-12-07").text


def test_staff_pages_use_the_words_people_use(app, owner, post, sender, fake_graph):
    """Issue 16, item 6: no internal names (cod, seur, staff:ana@…, handoff, 7 min)."""
    reference = placed_order(app, post, sender, fake_graph)
    for event in ("confirm",):
        owner.post(f"/staff/orders/{reference}/transition", data={"event": event})
    owner.post(f"/staff/orders/{reference}/transition", data={"event": "ship", "carrier": "seur",
                                                             "tracking_number": "ES4455"})
    page = owner.get(f"/staff/orders/{reference}").text
    assert "Cash on delivery" in page and "<dd>cod" not in page
    assert "SEUR ES4455" in page and "seur ES4455" not in page
    history = page[page.index('class="history"'):]
    assert "Ana" in history and "staff:" not in history and "the customer" in history
    Chat(post, sender, fake_graph).say("talk to a person")
    chat_page = owner.get(f"/staff/chats/{customer_id(app)}").text
    assert "with a person from the team" in chat_page and "<dd>handoff</dd>" not in chat_page
    assert "<dd>English</dd>" in chat_page and "under a minute" in chat_page


# -- notes and labels (issue 16, item 4) -------------------------------------------------------------------------

def test_a_private_note_is_in_the_transcript_and_never_sent(app, owner, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("talk to a person")
    cid = customer_id(app)
    before = len(fake_graph.accepted)
    r = owner.post(f"/staff/chats/{cid}/notes", data={"note": "Regular customer, <b>VIP</b> pricing"})
    assert r.status_code == 302
    sender.pump()
    assert len(fake_graph.accepted) == before  # nothing went to WhatsApp
    assert count(app, OutboundMessage) == before
    page = owner.get(f"/staff/chats/{cid}").text
    assert "bubble out staff note" in page and "Regular customer, &lt;b&gt;VIP&lt;/b&gt; pricing" in page
    assert "Ana" in page[page.index("bubble out staff note"):][:300]
    assert owner.post(f"/staff/chats/{cid}/notes", data={"note": "x" * 2001}).status_code == 302
    assert "A note is 1 to 2000 characters." in owner.get(f"/staff/chats/{cid}").text


def test_labels_filter_the_inbox_and_count_in_reports(app, owner, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("talk to a person")
    Chat(post, sender, fake_graph, number="34600222333", name="Luz").say("talk to a person")
    sam = customer_id(app)
    assert owner.post(f"/staff/chats/{sam}/labels", data={"label": "vip", "on": "1"}).status_code == 302
    assert 'aria-pressed="true">✓ VIP</button>' in owner.get(f"/staff/chats/{sam}").text
    inbox = owner.get("/staff/inbox?view=all&label=vip").text
    assert "Sam Rivera" in inbox and "Luz" not in inbox and 'class="label-chip on label-vip">VIP</span>' in inbox
    assert "Luz" in owner.get("/staff/inbox?view=all&label=nonsense").text  # an unknown label filters nothing
    assert ".label-vip { --label: #b54708; }" in owner.get("/staff/labels.css").text
    assert "Labels</dt><dd id=\"report-labels\">VIP: 1; Wholesale: 0" in owner.get("/staff/reports").text
    owner.post(f"/staff/chats/{sam}/labels", data={"label": "vip", "on": "0"})
    assert "Sam Rivera" not in owner.get("/staff/inbox?view=all&label=vip").text
    r = owner.post(f"/staff/chats/{sam}/labels", data={"label": "made-up", "on": "1"})
    assert r.status_code == 302 and "Choose one of the labels" in owner.get(f"/staff/chats/{sam}").text


def test_a_bad_labels_file_names_its_line(shop_dir):
    from bot.content import load_content
    from bot.errors import ContentError

    (shop_dir / "flows" / "labels.yaml").write_text(
        "version: 1\nlabels:\n  - id: VIP Customers\n    title: VIP\n  - id: ok\n    title: Ok\n    colour: red\n")
    try:
        load_content(shop_dir)
    except ContentError as exc:
        found = [str(p) for p in exc.problems]
    else:
        raise AssertionError("loaded a bad labels file")
    assert ("flows/labels.yaml:3: label id `VIP Customers` must be lower-case letters, digits, - or _ "
            "(like vip or wholesale)") in found
    assert "flows/labels.yaml:7: colour 'red' must be like #f79009" in found


# -- customers' media (issue 16, item 3) ---------------------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def media_message(post, kind: str, media_id: str, **extra):
    from . import payloads

    msg = payloads.message(SAM, kind, {"id": media_id, "mime_type": "x", **extra})
    post(payloads.body(payloads.messages_value(SAM, msg)))


def test_a_customers_photo_and_voice_note_are_shown_to_staff_only(app, owner, post, sender, fake_graph):
    fake_graph.token = "test-token"  # downloads need the access token, as Meta's
    fake_graph.media["m.photo"] = (PNG, "image/png")
    fake_graph.media["m.voice"] = (b"OggS\x00\x02fake-opus", "audio/ogg")
    Chat(post, sender, fake_graph).say("talk to a person")
    media_message(post, "image", "m.photo", caption="Is this *broken*?")
    media_message(post, "voice", "m.voice")
    media_message(post, "document", "m.missing", filename="invoice.pdf")
    page = owner.get(f"/staff/chats/{customer_id(app)}").text
    photo, voice, document = re.findall(r'/staff/media/(\d+)', page)[::2][:1] + re.findall(
        r'<audio class="media" controls preload="none" src="/staff/media/(\d+)"', page) + re.findall(
        r'href="/staff/media/(\d+)" download data-size-unknown>⬇ <span dir="auto">invoice.pdf', page)
    assert "Is this <strong>broken</strong>?" in page
    r = owner.get(f"/staff/media/{photo}")
    assert (r.status_code, r.mimetype, r.data) == (200, "image/png", PNG)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = owner.get(f"/staff/media/{voice}")
    assert (r.status_code, r.mimetype) == (200, "audio/ogg")
    fake_graph.media.clear()  # kept after the first view: Meta's copy is no longer needed
    assert owner.get(f"/staff/media/{photo}").data == PNG
    assert owner.get(f"/staff/media/{document}").status_code == 502  # Meta does not know it
    assert app.test_client().get(f"/staff/media/{photo}").status_code in (302, 401)  # logged out


def test_media_of_a_type_staff_should_not_open_is_refused(app, owner, post, sender, fake_graph):
    fake_graph.media["m.page"] = (b"<script>alert(1)</script>", "text/html")
    Chat(post, sender, fake_graph).say("talk to a person")
    media_message(post, "document", "m.page", filename="x.html")
    event = re.findall(r'/staff/media/(\d+)', owner.get(f"/staff/chats/{customer_id(app)}").text)[0]
    assert owner.get(f"/staff/media/{event}").status_code == 415


def test_staff_send_a_photo_and_a_document_through_the_graph_apis_media(app, owner, post, sender, fake_graph):
    import io

    Chat(post, sender, fake_graph).say("talk to a person")
    cid = customer_id(app)
    r = owner.post(f"/staff/chats/{cid}/attach", data={"file": (io.BytesIO(PNG), "parcel.png", "image/png"),
                                                       "caption": "Your parcel, packed"},
                   content_type="multipart/form-data")
    assert r.status_code == 302
    r = owner.post(f"/staff/chats/{cid}/attach", data={"file": (io.BytesIO(b"%PDF-1.4 fake"), "terms.pdf",
                                                                "application/pdf")},
                   content_type="multipart/form-data")
    assert r.status_code == 302
    sender.pump()
    uploads = [data for data, _mime in fake_graph.media.values()]
    assert PNG in uploads and b"%PDF-1.4 fake" in uploads  # uploaded to /media first
    image, document = fake_graph.messages_to(SAM)[-2:]
    assert image["payload"]["type"] == "image" and image["payload"]["image"]["caption"] == "Your parcel, packed"
    assert fake_graph.media[image["payload"]["image"]["id"]] == (PNG, "image/png")  # then sent by its media id
    assert document["payload"]["document"]["filename"] == "terms.pdf"
    page = owner.get(f"/staff/chats/{cid}").text
    shown = re.search(r'<img class="card-image" src="(/staff/media/sent/[0-9a-f]{32}\.png)"', page)
    assert shown and owner.get(shown.group(1)).data == PNG
    assert '⬇ <span dir="auto">terms.pdf</span>' in page


def test_a_file_that_whatsapp_would_refuse_is_not_sent(app, owner, post, sender, fake_graph):
    import io

    Chat(post, sender, fake_graph).say("talk to a person")
    cid = customer_id(app)
    before = count(app, OutboundMessage)
    r = owner.post(f"/staff/chats/{cid}/attach", data={"file": (io.BytesIO(b"MZ..."), "tool.exe",
                                                                "application/x-msdownload")},
                   content_type="multipart/form-data")
    assert r.status_code == 409 and "tool.exe cannot be sent" in r.text
    boundary = "shopbot-test-boundary"  # a body built here: the test client spools big files unclosed
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{owner.token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + b"\x89PNG" + b"0" * (5 * 2**20) + \
        f"\r\n--{boundary}--\r\n".encode()
    r = owner.http.post(f"/staff/chats/{cid}/attach", data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 409 and "huge.png is over WhatsApp&#39;s 5 MB for a photo." in r.text
    assert count(app, OutboundMessage) == before


def test_assigning_with_a_note_and_seeing_who_else_is_viewing(app, owner, colleague, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("talk to a person")
    cid = customer_id(app)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        luis = s.scalars(select(StaffMember).where(StaffMember.email != "ana@shop.example")).first()
        luis_id, luis_name = luis.id, luis.name
    owner.post(f"/staff/chats/{cid}/assign", data={"staff_id": str(luis_id), "note": "She wants a refund"})
    assert f"Assigned to {luis_name}: She wants a refund" in colleague.get(f"/staff/chats/{cid}").text
    live = owner.get(f"/staff/chats/{cid}/live.json").json  # Luis opened it a moment ago
    assert f"👀 {luis_name} is viewing this chat" in live["header"]


def test_staff_share_a_product_an_order_and_a_payment_link(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    summary = checkout_to_summary(chat, payment="Card (secure link)")
    reference = body_text(summary[-1]).splitlines()[0].removeprefix("🧾 *Order ").removesuffix("*")
    chat.tap(f"confirm:{reference}", "Confirm")
    chat.say("talk to a person")
    cid = customer_id(app)
    page = owner.get(f"/staff/chats/{cid}").text
    assert '<option value="product:soy-candle">Soy candle, fig</option>' in page
    assert f'<option value="pay:{reference}">Pay {reference}</option>' in page
    for choice in ("product:soy-candle", f"order:{reference}", f"pay:{reference}"):
        assert owner.post(f"/staff/chats/{cid}/share", data={"share": choice}).status_code == 302
    sender.pump()
    card, details, pay = fake_graph.messages_to(SAM)[-3:]
    assert body_text(card).startswith("*Soy candle, fig*\n€16.50")  # the bot's own card
    assert body_text(details).startswith(f"📦 *Order {reference}*")
    assert pay["payload"]["interactive"]["type"] == "cta_url"
    assert reference in pay["payload"]["interactive"]["action"]["parameters"]["url"]
    r = owner.post(f"/staff/chats/{cid}/share", data={"share": "order:SHP-NOTMINE"})
    assert r.status_code == 409 and "Choose a product or one of this customer" in r.text


def test_the_inbox_searches_what_customers_wrote(app, owner, post, sender, fake_graph):
    Chat(post, sender, fake_graph).say("is my parcel lost? talk to a person")
    Chat(post, sender, fake_graph, number="34600222333", name="Luz").say("talk to a person")
    found = owner.get("/staff/inbox?view=all&q=PARCEL").text
    assert "Sam Rivera" in found and "Luz" not in found
    assert "Luz" in owner.get("/staff/inbox?view=all&q=luz").text  # names still


def test_the_inbox_counts_a_waiting_customers_unanswered_messages(app, owner, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    chat.say("talk to a person")
    chat.say("hello?")
    chat.say("anyone there?")
    rows = owner.get("/staff/inbox/rows?view=waiting").text
    # "talk to a person" got the bot's answer (a person will reply); the two after it wait for a person
    assert '<span class="unread" title="unanswered messages">2</span>' in rows
    cid = customer_id(app)
    owner.post(f"/staff/chats/{cid}/reply", data={"text": "Hi, Ana here"})
    assert 'class="unread"' not in owner.get("/staff/inbox/rows?view=all").text  # answered


def test_the_inbox_filters_by_where_the_chat_is_and_by_the_latest_order(app, owner, post, sender, fake_graph):
    """Issue 16, item 1: a status filter beside the views, the labels and the search, combinable."""
    reference = placed_order(app, post, sender, fake_graph)  # Sam: an order to confirm, then asks for a person
    Chat(post, sender, fake_graph).say("talk to a person")
    Chat(post, sender, fake_graph, number="34600222333", name="Luz").say("talk to a person")
    owner.post(f"/staff/chats/{customer_id(app, '34600222333')}/reply", data={"text": "Hi Luz, Ana here"})
    Chat(post, sender, fake_graph, number="34600333444", name="Max").say("hi")

    def shown(**args) -> list[str]:
        page = owner.get("/staff/inbox", query_string={"view": "all", **args}).text
        return [name for name in ("Sam Rivera", "Luz", "Max") if f">{name}</a>" in page]

    assert shown() == ["Sam Rivera", "Luz", "Max"]
    assert shown(status="waiting") == ["Sam Rivera"]
    assert shown(status="answered") == ["Luz"]
    assert shown(status="bot") == ["Max"]
    assert shown(status="order:pending") == ["Sam Rivera"]
    assert shown(status="order:pending", q="luz") == [] and shown(status="answered", q="luz") == ["Luz"]
    assert shown(status="waiting", label="vip") == []  # Sam carries no label yet
    owner.post(f"/staff/chats/{customer_id(app)}/labels", data={"label": "vip", "on": "1"})
    assert shown(status="waiting", label="vip") == ["Sam Rivera"]
    owner.post(f"/staff/orders/{reference}/transition", data={"event": "confirm"})
    assert shown(status="order:pending") == [] and shown(status="order:confirmed") == ["Sam Rivera"]
    assert shown(status="nonsense") == ["Sam Rivera", "Luz", "Max"]  # an unknown status filters nothing
    page = owner.get("/staff/inbox?view=mine&status=answered").text
    assert '<option value="order:shipped">Order shipped</option>' in page
    assert '<option value="answered" selected>With the team, answered</option>' in page
    assert "status=answered" in page[page.index('id="tab-all"') - 200:page.index('id="tab-all"')]  # kept on tabs
    assert "Luz" in owner.get("/staff/inbox/rows?view=all&status=answered").text


def cards_on(page: str) -> list[str]:
    """Each order card's text, tags stripped and spaces folded: what a person reads on it."""
    return [" ".join(re.sub(r"<[^>]+>", " ", html.unescape(card)).split())
            for card in re.findall(r'<div class="order-card">(.*?)</div>\s*</div>', page, re.S)]


def test_order_summaries_are_drawn_as_cards(app, owner, post, sender, fake_graph):
    """Issue 16, item 2: the checkout summary, the "order placed" message, the bot's answer to "where is
    my order" and a summary staff share are each a card (reference, items, total, today's status)."""
    chat = Chat(post, sender, fake_graph)
    sent = checkout_to_summary(chat)
    reference = body_text(sent[-1]).splitlines()[0].removeprefix("🧾 *Order ").removesuffix("*")
    chat.tap(f"confirm:{reference}", "Confirm")
    chat.say(f"where is my order {reference}")
    chat.say("talk to a person")
    cid = customer_id(app)
    owner.post(f"/staff/chats/{cid}/share", data={"share": f"order:{reference}"})
    owner.post(f"/staff/orders/{reference}/transition", data={"event": "confirm"})
    page = owner.get(f"/staff/chats/{cid}").text
    card = f"🧾 Order {reference} Confirmed 2 × Soy candle, fig €33.00 Cash on delivery Total €36.90"
    assert cards_on(page) == [card] * 4  # summary, placed, the bot's details, staff's share: as it is now
    assert page.count(f'href="/staff/orders/{reference}"') >= 4
    assert "*Total: €36.90*" not in page and "• 2 × Soy candle" in page  # the markup, only inside "as read"
    assert page.count('<details class="as-sent">') == 3  # the "placed" thanks keeps its own words in view
    assert "Thank you, Sam Rivera! Your order <strong>" in page


def test_a_reaction_is_a_badge_on_the_message_it_reacts_to(app, owner, post, sender, fake_graph):
    """Issue 16, item 3: as WhatsApp shows it; a changed reaction replaces, an empty one removes, and one
    to a message further back than the transcript still shows."""
    from . import payloads

    chat = Chat(post, sender, fake_graph)
    chat.say("talk to a person")
    cid = customer_id(app)
    owner.post(f"/staff/chats/{cid}/reply", data={"text": "Your parcel left today"})
    sender.pump()
    parcel = fake_graph.messages_to(SAM)[-1]["wamid"]
    chat.say("and the invoice?")
    owner.post(f"/staff/chats/{cid}/reply", data={"text": "Attached tomorrow"})
    sender.pump()
    invoice = fake_graph.messages_to(SAM)[-1]["wamid"]

    def react(wamid: str, emoji: str) -> None:
        post(payloads.body(payloads.messages_value(
            SAM, payloads.message(SAM, "reaction", {"message_id": wamid, "emoji": emoji}))))

    def badges() -> list[tuple[str, str]]:
        bubbles = owner.get(f"/staff/chats/{cid}").text.split('<div class="bubble ')[1:]
        return [(re.search(r'<div class="text" dir="auto">(.*?)</div>', b).group(1),
                 re.search(r'<span class="reaction"[^>]*>(.*?)</span>', b).group(1))
                for b in bubbles if 'class="reaction"' in b]

    react(parcel, "❤️")
    react(invoice, "👍")
    react(invoice, "🙏")  # changed its mind
    assert badges() == [("Your parcel left today", "❤️"), ("Attached tomorrow", "🙏")]
    page = owner.get(f"/staff/chats/{cid}").text
    assert 'class="kind">reaction' not in page and page.count('class="reaction"') == 2
    react(parcel, "")  # taken back
    assert badges() == [("Attached tomorrow", "🙏")]
    react("wamid.long-gone", "😂")
    page = owner.get(f"/staff/chats/{cid}").text
    assert 'Reacted <span class="emoji">😂</span> to an earlier message' in page
    assert "<script>" not in owner.get(f"/staff/chats/{cid}").text
    react(invoice, "<script>alert(1)</script>")  # not an emoji WhatsApp would send, but escaped all the same
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</span>" in owner.get(f"/staff/chats/{cid}").text


def test_a_documents_name_and_size_with_its_download(app, owner, post, sender, fake_graph):
    """Issue 16, item 5: "invoice.pdf · 120 KB" on a customer's document (once fetched) and on one staff sent."""
    import io

    fake_graph.token = "test-token"
    fake_graph.media["m.invoice"] = (b"%PDF-1.4 " + b"x" * (120 * 1024 - 9), "application/pdf")
    Chat(post, sender, fake_graph).say("talk to a person")
    media_message(post, "document", "m.invoice", filename="invoice.pdf")
    cid = customer_id(app)
    page = owner.get(f"/staff/chats/{cid}").text
    link = re.search(r'<a class="chip link file" href="(/staff/media/\d+)" download data-size-unknown>', page)
    assert link and '<span dir="auto">invoice.pdf</span></a>' in page  # not fetched yet: its size unknown
    assert owner.http.head(link.group(1)).status_code == 200  # what the page asks for (staff.js), then it is kept
    page = owner.get(f"/staff/chats/{cid}").text
    assert '<span dir="auto">invoice.pdf</span> <span class="size">· 120 KB</span></a>' in page
    assert owner.get(link.group(1)).headers["Content-Disposition"].startswith("attachment")  # the download
    owner.post(f"/staff/chats/{cid}/attach", data={"file": (io.BytesIO(b"%PDF" + b"y" * 299_996), "terms.pdf",
                                                            "application/pdf")}, content_type="multipart/form-data")
    page = owner.get(f"/staff/chats/{cid}").text
    assert '<span dir="auto">terms.pdf</span> <span class="size">· 293 KB</span></a>' in page


def test_file_sizes_read_as_people_say_them():
    from bot.staff.bubbles import file_size

    assert [file_size(n) for n in (None, 1, 820, 120 * 1024, 2_500_000)] == ["", "1 byte", "820 bytes", "120 KB",
                                                                            "2.4 MB"]


def test_staff_share_the_carts_checkout_link_and_the_bot_takes_the_checkout(app, owner, post, sender, fake_graph):
    """Issue 16, item 4: the customer's cart, in their language, with a Checkout button opening a wa.me
    link; the text it sends gives the chat back to the bot, which starts the checkout of that cart."""
    from urllib.parse import quote

    from bot.models import Conversation

    chat = Chat(post, sender, fake_graph)
    chat.say("hola")
    chat.tap("lang:es", "Español")
    chat.say("2 velas")
    chat.say("quiero hablar con una persona")
    cid = customer_id(app)
    assert handoff_of(app, cid).closed_at is None
    page = owner.get(f"/staff/chats/{cid}").text
    assert '<option value="checkout:">Checkout link for the cart (€33.00)</option>' in page
    assert owner.post(f"/staff/chats/{cid}/share", data={"share": "checkout:"}).status_code == 302
    sender.pump()
    sent = fake_graph.messages_to(SAM)[-1]["payload"]["interactive"]
    assert sent["type"] == "cta_url" and sent["body"]["text"].startswith("🛒 *Tu carrito*")
    assert "2 × Vela de soja, higo" in sent["body"]["text"]
    assert sent["action"]["parameters"]["display_text"] == "Finalizar compra"
    prefilled = "¡Hola, Lumen & Loom! Quiero finalizar la compra de mi carrito. [checkout]"
    assert sent["action"]["parameters"]["url"] == f"https://wa.me/15550001234?text={quote(prefilled)}"
    assert "↗ Finalizar compra" in owner.get(f"/staff/chats/{cid}").text

    asked = chat.say(prefilled)  # what the link puts in the customer's WhatsApp, sent
    assert handoff_of(app, cid).closed_at is not None  # the bot has the chat again, for the checkout
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.get(Conversation, cid).state == "checkout"
    assert body_text(asked[-1]) == "¿Ponemos el pedido a nombre de *Sam Rivera*?"  # the checkout, in Spanish


def test_the_checkout_link_needs_a_cart_and_the_24_hour_window(app, owner, post, sender, fake_graph):
    from bot.models import Conversation

    chat = Chat(post, sender, fake_graph)
    chat.say("talk to a person")
    cid = customer_id(app)
    assert 'value="checkout:"' not in owner.get(f"/staff/chats/{cid}").text  # nothing in the cart
    r = owner.post(f"/staff/chats/{cid}/share", data={"share": "checkout:"})
    assert r.status_code == 409 and "The cart is empty, so there is nothing to check out." in r.text
    with transaction(app.extensions["shopbot.sessions"]) as s:
        conversation = s.get(Conversation, cid)
        conversation.data = {**conversation.data, "cart": [{"sku": "HOM-CAN-FIG", "qty": 1, "price": 1650}]}
        s.get(Customer, cid).last_inbound_at -= timedelta(hours=25)
    before = count(app, OutboundMessage)
    r = owner.post(f"/staff/chats/{cid}/share", data={"share": "checkout:"})
    assert r.status_code == 409 and "The 24-hour window is closed" in r.text
    assert count(app, OutboundMessage) == before
