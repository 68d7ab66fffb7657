"""The /webhook contract: verification, signatures, storage, batching and duplicates."""
from __future__ import annotations

import json

import httpx

from bot.models import Customer, InboundEvent, OutboundMessage
from bot.sandbox.fake_graph import LocalServer

from . import payloads as p
from .conftest import signature
from .helpers import at_once, body_text, count, events, outbox_rows, recipient

SAM = "34600111222"


def test_verification_echoes_the_challenge_for_the_right_token(client):
    r = client.get("/webhook", query_string={"hub.mode": "subscribe", "hub.verify_token": "test-verify-token",
                                             "hub.challenge": "1158201444"})
    assert r.status_code == 200
    assert r.mimetype == "text/plain"
    assert r.text == "1158201444"


def test_verification_refuses_a_wrong_token_or_mode(client):
    wrong_token = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    wrong_mode = {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1"}
    assert client.get("/webhook", query_string=wrong_token).status_code == 403
    assert client.get("/webhook", query_string=wrong_mode).status_code == 403
    assert client.get("/webhook").status_code == 403


def test_unsigned_body_is_refused_and_nothing_is_stored(app, client, sender, fake_graph):
    raw = json.dumps(p.text(SAM, "hi")).encode()
    r = client.post("/webhook", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    sender.pump()
    assert count(app, InboundEvent) == 0 and count(app, Customer) == 0
    assert fake_graph.accepted == []


def test_tampered_body_is_refused_and_nothing_is_stored(app, client, sender, fake_graph):
    raw = json.dumps(p.text(SAM, "مرحبا 👋"), ensure_ascii=False).encode()
    tampered = raw.replace("مرحبا".encode(), "وداعا".encode())
    assert tampered != raw
    r = client.post("/webhook", data=tampered, headers={"Content-Type": "application/json",
                                                        "X-Hub-Signature-256": signature(raw)})
    assert r.status_code == 403
    r = client.post("/webhook", data=raw, headers={"X-Hub-Signature-256": signature(raw, "other-secret")})
    assert r.status_code == 403
    sender.pump()
    assert count(app, InboundEvent) == 0
    assert fake_graph.accepted == []


def test_signed_arabic_and_emoji_text_is_stored_unchanged_and_answered(app, post, sender, fake_graph):
    text = "مرحبا، هل لديكم قمصان؟ 👕🇪🇸 👨‍👩‍👧"
    r = post(p.text(SAM, text, name="سارة"))
    assert r.status_code == 200
    stored = events(app)
    assert stored[0].payload["message"]["text"]["body"] == text
    sender.pump()
    greeting, answer = fake_graph.messages_to(SAM)
    assert "سارة" in body_text(greeting)  # the profile name round-trips into the greeting
    assert answer["payload"]["type"] == "interactive"  # the question is answered, not just greeted


def test_body_over_the_limit_gets_413(app, client):
    raw = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * 3_600_000 + b'"}'
    r = client.post("/webhook", data=raw, headers={"X-Hub-Signature-256": signature(raw)})
    assert r.status_code == 413
    assert count(app, InboundEvent) == 0


def test_signed_body_that_is_not_json_is_stored_as_failed_and_acknowledged(app, client, caplog):
    raw = b"{not json"
    r = client.post("/webhook", data=raw, headers={"X-Hub-Signature-256": signature(raw)})
    assert r.status_code == 200
    [event] = events(app)
    assert event.kind == "invalid" and event.status == "failed"
    assert event.payload["raw"] == "{not json"
    assert any(rec.levelname == "ERROR" and "not JSON" in rec.message for rec in caplog.records)


def test_a_batch_from_three_customers_gets_three_replies(app, post, sender, fake_graph):
    customers = ["34600000001", "34600000002", "34600000003"]
    batch = {"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": p.messages_value(
            customers[0], p.message(customers[0], "text", {"body": "hi"}), name="Ana")}]},
        {"id": "1", "changes": [
            {"field": "messages", "value": p.messages_value(
                customers[1], p.message(customers[1], "text", {"body": "hello"}), name="Ben")},
            {"field": "messages", "value": p.messages_value(
                customers[2], p.message(customers[2], "text", {"body": "hola"}), name="Carla")},
        ]},
    ]}
    assert post(batch).status_code == 200
    sender.pump()
    assert sorted(recipient(m) for m in fake_graph.accepted) == customers
    greetings = {recipient(m): body_text(m) for m in fake_graph.accepted}
    assert "Ana" in greetings[customers[0]] and "Ben" in greetings[customers[1]] and "Carla" in greetings[customers[2]]


def test_a_message_delivered_twice_is_answered_once(app, post, sender, fake_graph):
    body = p.text(SAM, "hi", wamid="wamid.twice")
    assert post(body).status_code == 200
    assert post(body).status_code == 200
    sender.pump()
    assert len(fake_graph.accepted) == 1
    assert count(app, InboundEvent) == 1


def test_a_message_rebatched_in_another_body_is_answered_once(app, post, sender, fake_graph):
    first = p.message(SAM, "text", {"body": "hi"}, wamid="wamid.first")
    second = p.message(SAM, "text", {"body": "menu"}, wamid="wamid.second")
    post(p.body(p.messages_value(SAM, first)))
    post(p.body(p.messages_value(SAM, first, second)))  # Meta retried with a later message added
    sender.pump()
    assert len(fake_graph.accepted) == 2  # one reply to "hi", one to "menu"


def test_replayed_ten_times_concurrently_gives_one_reply(app, sender, fake_graph):
    """Ten deliveries of one message at the same moment, through a real threaded server."""
    server = LocalServer(app)
    raw = json.dumps(p.text(SAM, "hi", wamid="wamid.concurrent")).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)}
    try:
        def deliver():
            return httpx.post(f"{server.url}/webhook", content=raw, headers=headers, timeout=30).status_code

        codes = at_once([deliver] * 10)
    finally:
        server.close()
    assert codes == [200] * 10
    sender.pump()
    assert len(fake_graph.accepted) == 1
    assert count(app, InboundEvent) == 1 and count(app, OutboundMessage) == 1


def test_a_new_customers_first_messages_at_once_make_one_customer(app, sender, fake_graph):
    """Five different first messages of one new customer at the same moment: each INSERT of the
    customer and the conversation but one finds the row made by another, and all are answered."""
    server = LocalServer(app)
    bodies = [json.dumps(p.text("34600555666", word, wamid=f"wamid.first.{i}")).encode()
              for i, word in enumerate(("hi", "menu", "hello", "help", "hola"))]
    try:
        def deliver(raw):
            return lambda: httpx.post(f"{server.url}/webhook", content=raw, timeout=30, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)}).status_code

        codes = at_once([deliver(raw) for raw in bodies])
    finally:
        server.close()
    assert codes == [200] * 5
    assert count(app, Customer) == 1
    assert [e.status for e in events(app)] == ["processed"] * 5
    sender.pump()
    assert {recipient(m) for m in fake_graph.accepted} == {"34600555666"}
    assert {r.cause for r in outbox_rows(app)} == {f"wamid.first.{i}" for i in range(5)}


def test_a_sender_known_only_by_bsuid_gets_a_reply(app, post, sender, fake_graph):
    bsuid = "US.13491208655302741918"
    assert post(p.text(None, "hi", bsuid=bsuid, name="Dana")).status_code == 200
    sender.pump()
    [sent] = fake_graph.accepted
    assert sent["payload"]["recipient"] == bsuid and "to" not in sent["payload"]
    assert "Dana" in body_text(sent)


def test_bsuid_and_phone_in_one_message_make_one_customer(app, post, sender):
    bsuid = "US.555"
    post(p.text(SAM, "hi"))
    post(p.text(SAM, "menu", bsuid=bsuid))
    post(p.text(None, "menu", bsuid=bsuid))
    assert count(app, Customer) == 1
