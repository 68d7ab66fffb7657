"""Hostile input through the real endpoints: out-of-range dates, ids and pages, NUL characters, lone
surrogates, deep nesting, oversized bodies and repeated lines get a 4xx naming the field, never a 500."""
from __future__ import annotations

import base64
import io
import json

from sqlalchemy import select

from bot.commerce.payments import signature
from bot.db import transaction
from bot.models import CarrierEvent, Invoice, Order

from .conftest import API_TOKEN, PAYMENT_SECRET
from .helpers import count

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
SECRET = PAYMENT_SECRET
PDF = b"%PDF-1.4\n" + b"0" * 1000 + b"\n%%EOF\n"


def create(client, body):
    return client.post("/api/orders", json=body, headers=TOKEN)


def nested(depth: int) -> bytes:
    return b'{"items": ' + b"[" * depth + b"]" * depth + b"}"


# -- the order desk, the inbox and the chats --------------------------------------------------------

def test_the_order_desk_refuses_bad_filters_naming_the_field(owner):
    for query, field in [("to=9999-12-31", "to"), ("from=99999-01-01", "from"), ("from=yesterday", "from"),
                         ("page=100000000000000000000", "page"), ("page=0", "page"), ("page=two", "page"),
                         ("q=SHP%00", "q"), ("status=%00", "status")]:
        r = owner.get(f"/staff/orders?{query}")
        assert r.status_code == 400 and f"“{field}”" in r.text, query
    assert owner.get("/staff/orders?from=&to=&page=").status_code == 200
    assert owner.get("/staff/orders?from=2026-11-01&to=2026-11-30&page=2").status_code == 200
    assert owner.get("/staff/orders?from=0001-01-01&to=0001-01-01").status_code == 200  # the calendar's first day


def test_ids_and_references_that_cannot_exist_are_not_found(owner):
    for path in ["/staff/chats/99999999999999999999", "/staff/chats/99999999999999999999/live.json",
                 "/staff/chats/2147483648", "/staff/orders/%00", "/staff/orders/SHP-" + "X" * 300]:
        assert owner.get(path).status_code == 404, path
    for action in ["takeover", "handback", "assign", "reply", "template"]:
        assert owner.post(f"/staff/chats/99999999999999999999/{action}", data={"text": "hi"}).status_code == 404
    # refusals (empty or overlong reply, unknown template) for a chat in range that does not exist
    for action, data in [("reply", {"text": ""}), ("reply", {"text": "x" * 9000}), ("template", {"name": "nope"})]:
        assert owner.post(f"/staff/chats/424242/{action}", data=data).status_code == 404, data


def test_assigning_to_a_staff_id_out_of_range_is_refused(app, owner, post, sender, fake_graph):
    from .chat import Chat

    Chat(post, sender, fake_graph).say("hi")
    r = owner.post("/staff/chats/1/assign", data={"staff_id": "99999999999999999999"})
    assert r.status_code == 302
    assert "Choose a colleague from the list." in owner.get("/staff/chats/1").text


def test_a_nul_in_a_search_or_a_form_is_refused_naming_the_field(app, owner, post, sender, fake_graph):
    from .test_staff_web import placed_order

    r = owner.get("/staff/inbox?q=%00&view=all")
    assert r.status_code == 400 and "“q”" in r.text
    assert owner.get("/staff/inbox/rows?q=%00").status_code == 400
    reference = placed_order(app, post, sender, fake_graph)
    r = owner.post(f"/staff/orders/{reference}/transition", data={"event": "confirm", "note": "ok\x00"})
    assert r.status_code == 400 and "“note”" in r.text
    r = owner.post(f"/staff/orders/{reference}/transition",
                   data={"event": "confirm", "carrier": "seur", "tracking_number": "T" * 129})
    assert r.status_code == 409 and "tracking_number: must be at most 128 characters" in r.text
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.scalars(select(Order.status)).one() == "pending"


# -- the API: strings, dates, nesting ---------------------------------------------------------------

def test_a_nul_in_the_address_is_refused_naming_the_field(app, client):
    r = create(client, {"items": [{"sku": "HOM-SOAP"}], "address": "Calle Mayor 1\u0000, Madrid"})
    assert r.status_code == 400 and r.json["field"] == "address"
    assert count(app, Order) == 0


def test_unstorable_text_anywhere_in_the_body_names_its_field(app, client):
    for body, field in [
        ({"items": [{"sku": "HOM-SOAP"}], "customer": {"name": "Sam\u0000"}}, "customer.name"),
        ({"items": [{"sku": "HOM-SOAP"}], "note": "\ud800"}, "note"),
        ({"items": [{"sku": "HOM-SOAP\u0000"}]}, "items[0].sku"),
        ({"items": [{"product_id": "organic-tee", "options": {"size\u0000": "M"}}]}, "items[0].options"),
    ]:
        r = client.post("/api/orders", data=json.dumps(body), headers={**TOKEN, "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json["field"] == field, r.json
    assert count(app, Order) == 0


def test_a_deeply_nested_body_gets_400(client):
    for path in ["/api/orders", "/api/shipments/events", "/api/orders/SHP-X/status", "/api/orders/SHP-X/invoice"]:
        for depth in (5000, 100):
            r = client.post(path, data=nested(depth), headers={**TOKEN, "Content-Type": "application/json"})
            assert r.status_code == 400 and r.json["field"] == "body" and "nested" in r.json["error"], (path, depth)
    raw = nested(5000)
    r = client.post("/api/payments/callback", data=raw,
                    headers={"Content-Type": "application/json", "X-Signature": signature(SECRET, raw)})
    assert r.status_code == 400 and r.json["field"] == "body"


def test_a_shipment_event_with_a_bad_field_gets_400(app, client):
    for fields, field in [
        ({"time": "9999-12-31T23:59:59-12:00"}, "time"), ({"time": "0001-01-01T00:00:00+01:00"}, "time"),
        ({"time": "9999-12-31T23:30:00Z"}, "time"),  # not showable in the shop's timezone (UTC+1)
        ({"time": 20261124}, "time"), ({"time": None}, "time"),
        ({"carrier": "c" * 65}, "carrier"), ({"code": "C" * 65}, "code"), ({"event_id": "ev\u0000"}, "event_id"),
    ]:
        body = {"carrier": "seur", "tracking_number": "ES1", "code": "DELIVERED", "time": "2026-11-24T10:00:00Z",
                "event_id": "ev-1", **fields}
        r = client.post("/api/shipments/events", json=body, headers=TOKEN)
        assert r.status_code == 400 and r.json["field"] == field, (fields, r.json)
    assert count(app, CarrierEvent) == 0


def test_a_reference_that_cannot_exist_is_not_found(client):
    for path in ["/api/orders/SHP%00", "/api/orders/" + "X" * 300]:
        assert client.get(path, headers=TOKEN).status_code == 404
        assert client.post(path + "/status", json={"status": "paid"}, headers=TOKEN).status_code == 404


def test_payment_callback_fields_too_long_or_with_nul_get_400(app, client):
    def callback(**fields):
        raw = json.dumps({"reference": "SHP-X", "payment_id": "pi_1", "amount": "6.50", "currency": "EUR",
                          **fields}).encode()
        return client.post("/api/payments/callback", data=raw,
                           headers={"Content-Type": "application/json", "X-Signature": signature(SECRET, raw)})

    reference = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json["reference"]
    r = callback(reference=reference, payment_id="p" * 129)
    assert r.status_code == 400 and r.json["field"] == "payment_id"
    r = callback(reference="SHP\u0000")
    assert r.status_code == 400 and r.json["field"] == "reference"


def test_a_raw_pdf_invoice_checks_its_query_fields(app, client):
    reference = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json["reference"]
    headers = {**TOKEN, "Content-Type": "application/pdf"}
    r = client.post(f"/api/orders/{reference}/invoice?number={'9' * 40}", data=PDF, headers=headers)
    assert r.status_code == 400 and r.json["field"] == "number"
    r = client.post(f"/api/orders/{reference}/invoice?number=F1&filename=a%00.pdf", data=PDF, headers=headers)
    assert r.status_code == 400 and r.json["field"] == "filename"
    assert count(app, Invoice) == 0


# -- sizes and quantities ----------------------------------------------------------------------------

def test_a_60_mb_invoice_is_refused_with_413_and_not_stored(app, client):
    reference = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json["reference"]
    big = b"%PDF-1.4\n" + b"0" * (60 * 1024 * 1024)
    r = client.post(f"/api/orders/{reference}/invoice?number=F-1", data=big,
                    headers={**TOKEN, "Content-Type": "application/pdf"})
    assert r.status_code == 413
    assert r.json["error"] == "the request body is larger than the limit of 10 MB (MAX_API_BYTES)"
    body = json.dumps({"number": "F-1", "pdf_base64": base64.b64encode(big[:12 * 1024 * 1024]).decode()})
    r = client.post(f"/api/orders/{reference}/invoice", data=body,
                    headers={**TOKEN, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert count(app, Invoice) == 0
    # a PDF of a few MB, as invoices are, still goes through as base64
    body = json.dumps({"number": "F-1", "pdf_base64": base64.b64encode(big[:5 * 1024 * 1024]).decode()})
    r = client.post(f"/api/orders/{reference}/invoice", data=body,
                    headers={**TOKEN, "Content-Type": "application/json"})
    assert r.status_code == 201, r.json


def test_the_body_limit_is_a_setting_and_covers_bodies_without_a_length(app_config, client):
    from bot.app import create_app

    small = create_app(dict(app_config, MAX_API_BYTES=2000))
    try:
        c = small.test_client()
        r = c.post("/api/orders", json={"items": [{"sku": "HOM-SOAP"}], "padding": "x" * 1500}, headers=TOKEN)
        assert r.status_code == 201
        r = c.post("/api/orders", json={"items": [{"sku": "HOM-SOAP"}], "padding": "x" * 2500}, headers=TOKEN)
        assert r.status_code == 413
        assert r.json == {"error": "the request body is larger than the limit of 2 KB (MAX_API_BYTES)"}
        # a chunked body has no Content-Length: werkzeug would cut it at the limit and store half a PDF
        reference = c.post("/api/orders", json={"items": [{"sku": "HOM-SOAP"}]}, headers=TOKEN).json["reference"]
        r = c.post(f"/api/orders/{reference}/invoice?number=F-1", input_stream=io.BytesIO(PDF * 3),
                   headers={**TOKEN, "Content-Type": "application/pdf", "Transfer-Encoding": "chunked"},
                   environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it for chunked bodies
        assert r.status_code == 413
        with transaction(small.extensions["shopbot.sessions"]) as s:
            assert s.scalars(select(Invoice)).all() == []
    finally:
        small.extensions["shopbot.whatsapp"].api._session.close()
        small.extensions["shopbot.engine"].dispose()


def test_repeating_a_line_does_not_bypass_the_quantity_cap(app, client):
    r = create(client, {"items": [{"sku": "ACC-TOTE", "quantity": 99}] * 50})
    assert r.status_code == 400 and r.json["field"] == "items[1].quantity"
    assert "99" in r.json["error"]
    r = create(client, {"items": [{"sku": "ACC-TOTE", "quantity": 60},
                                  {"product_id": "canvas-tote", "options": {}, "quantity": 40}]})
    assert r.status_code in (400, 422)
    assert count(app, Order) == 0
    r = create(client, {"items": [{"sku": "ACC-TOTE", "quantity": 50}, {"sku": "ACC-TOTE", "quantity": 49}]})
    assert r.status_code == 201 and r.json["items"][0]["quantity"] == 99
