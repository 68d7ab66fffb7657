"""The API's contract, case by case: the document and the server agree, and payment providers plug in."""
from __future__ import annotations

import json

import jsonschema_rs
import pytest
from sqlalchemy import select

from bot.commerce import payments
from bot.db import transaction
from bot.errors import ConfigError
from bot.models import Order

from .conftest import API_TOKEN, PAYMENT_SECRET

TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}
EVENT = {"carrier": "seur", "tracking_number": "ES1", "code": "DELIVERED", "time": "2026-11-24T10:00:00Z",
         "event_id": "ev-1"}
#: The review's contract breaks (schemathesis, every check on): schema-valid requests refused, and a
#: schema-violating one accepted. Each case: method, path, query, JSON body.
BREAKS = {
    "link source outside an undocumented pattern": ("get", "/api/links", {"source": "shop.window"}, None),
    "empty tracking_number on a status change": ("post", "/api/orders/{reference}/status", None,
                                                 {"status": "confirmed", "tracking_number": ""}),
    "empty tracking_number on a carrier event": ("post", "/api/shipments/events", None,
                                                 EVENT | {"tracking_number": ""}),
    "an invoice without url or pdf_base64": ("post", "/api/orders/{reference}/invoice", None, {"number": "F-1"}),
    "an unknown SKU": ("post", "/api/orders", None, {"items": [{"sku": "NOPE-1"}]}),
    "a product_id that is not text beside a sku": ("post", "/api/orders", None,
                                                   {"items": [{"sku": "TEE-RED-M", "product_id": 5}]}),
    "options that are not an object": ("post", "/api/orders", None,
                                       {"items": [{"product_id": "canvas-tote", "options": None}]}),
}
#: What a schema-valid request may get (schemathesis' positive_data_acceptance, with the API's 422).
ACCEPTED = {200, 201, 202, 401, 404, 409, 422}


def documented(spec: dict, method: str, path: str, query, body) -> bool:
    """Whether the served document says the request is valid."""
    operation = spec["paths"][path][method]
    if query:
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not jsonschema_rs.validator_for({"type": "object", "properties": parameters}).is_valid(query):
            return False
    if body is None:
        return True
    schema = operation["requestBody"]["content"]["application/json"]["schema"] | {"components": spec["components"]}
    return jsonschema_rs.validator_for(schema).is_valid(body)


@pytest.mark.parametrize("case", list(BREAKS))
def test_the_document_and_the_server_agree_on_what_is_valid(client, case):
    method, path, query, body = BREAKS[case]
    spec = client.get("/api/openapi.json").json
    reference = client.post("/api/orders", json={"items": [{"sku": "HOM-SOAP"}]}, headers=TOKEN).json["reference"]
    r = client.open(path.replace("{reference}", reference), method=method.upper(), query_string=query, json=body,
                    headers=TOKEN)
    valid = documented(spec, method, path, query, body)
    assert str(r.status_code) in spec["paths"][path][method]["responses"], (case, r.status_code)
    assert (r.status_code in ACCEPTED) == valid, (case, valid, r.status_code, r.json)
    if not valid:
        assert r.status_code == 400 and r.json["field"], r.json


# -- payment providers ------------------------------------------------------------------------------

@pytest.fixture
def acme_app(app_config):
    from bot.app import create_app

    payments.register("acme", "tests.acme_payments")
    app = create_app(dict(app_config, PAYMENT_PROVIDER="acme"))
    yield app
    app.extensions["shopbot.whatsapp"].api._session.close()
    app.extensions["shopbot.engine"].dispose()
    del payments.PROVIDERS["acme"]


def test_a_second_payment_provider_plugs_in_and_receives_the_callback(acme_app):
    client = acme_app.test_client()
    reference = client.post("/api/orders", json={"items": [{"sku": "HOM-SOAP"}]}, headers=TOKEN).json["reference"]
    raw = json.dumps({"order": reference, "id": "acme_1", "amount_cents": 650, "currency": "eur",
                      "state": "succeeded"}).encode()
    assert client.post("/api/payments/callback", data=raw, headers={"Acme-Token": "wrong"}).status_code == 401
    r = client.post("/api/payments/callback", data=raw, headers={"Acme-Token": PAYMENT_SECRET})
    assert r.status_code == 200 and r.json == {"result": "paid", "reference": reference}
    with transaction(acme_app.extensions["shopbot.sessions"]) as s:
        assert s.execute(select(Order.status, Order.payment_status)).one() == ("confirmed", "paid")
    r = client.post("/api/payments/callback", data=b'{"order": "x"}', headers={"Acme-Token": PAYMENT_SECRET})
    assert r.status_code == 400 and r.json["field"] == "id"
    spec = client.get("/api/openapi.json").json  # the document describes the provider that is on
    assert spec["paths"]["/api/payments/callback"]["post"]["requestBody"]["content"]["application/json"]["schema"] \
        == {"$ref": "#/components/schemas/AcmeNotice"}
    assert spec["components"]["securitySchemes"]["payment"]["name"] == "Acme-Token"


def test_an_unknown_payment_provider_stops_the_start(app_config):
    from bot.app import create_app

    with pytest.raises(ConfigError, match="PAYMENT_PROVIDER='nope' is not a payment provider; use one of generic"):
        create_app(dict(app_config, PAYMENT_PROVIDER="nope"))
