"""A signature or CSRF token that is not ASCII is refused like any wrong one, never a 500.

`hmac.compare_digest` raises TypeError on a str that is not ASCII; headers and
form fields are whatever the caller sent.
"""
from __future__ import annotations

import json

import pytest

from bot.models import InboundEvent

from . import payloads as p
from .conftest import signature
from .helpers import count
from .test_api import create, one_order

SAM = "34600111222"
NON_ASCII = ["sha256=" + "é" * 64, "sha256=ünïcödé", "ñ", signature(b"x") + "ß"]


@pytest.mark.parametrize("header", NON_ASCII)
def test_a_non_ascii_webhook_signature_is_refused_and_nothing_stored(app, client, header):
    raw = json.dumps(p.text(SAM, "hi")).encode()
    r = client.post("/webhook", data=raw, headers={"Content-Type": "application/json", "X-Hub-Signature-256": header})
    assert r.status_code == 403  # as any wrong signature
    assert count(app, InboundEvent) == 0


@pytest.mark.parametrize("header", NON_ASCII)
def test_a_non_ascii_payment_signature_is_refused_and_changes_nothing(app, client, header):
    order = create(client, {"items": [{"sku": "HOM-SOAP"}]}).json
    raw = json.dumps({"reference": order["reference"], "payment_id": "pi_1", "amount": "6.50",
                      "currency": "EUR"}).encode()
    r = client.post("/api/payments/callback", data=raw, headers={"Content-Type": "application/json",
                                                                 "X-Signature": header})
    assert r.status_code == 401 and r.json["error"]  # as any bad signature
    assert one_order(app).status == "pending"


@pytest.mark.parametrize("token", ["ünïcödé", "é" * 43, "токен"])
def test_a_non_ascii_csrf_token_gets_the_expired_form_page(app, owner, token):
    form = {"email": "eva@shop.example", "name": "Eva", "role": "staff", "password": "long enough pw"}
    r = owner.http.post("/staff/settings/staff", data=dict(form, csrf_token=token))
    assert r.status_code == 400 and "This form has expired" in r.text
    r = owner.http.post("/staff/settings/staff", data=form, headers={"X-CSRF-Token": token.encode().decode("latin-1")})
    assert r.status_code == 400
    assert "eva@shop.example" not in owner.get("/staff/settings/staff").text
