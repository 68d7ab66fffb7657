"""Property-based API test driven by the OpenAPI document: no input gives a 5xx,
and every answer matches the documented status codes and shapes."""
from __future__ import annotations

import copy

import schemathesis
from hypothesis import HealthCheck, example, given, settings

from bot.api.openapi import SPEC

from .conftest import API_TOKEN


def test_the_openapi_document_is_served(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and r.json["openapi"].startswith("3.1")
    assert set(r.json["paths"]) == {"/api/orders", "/api/orders/{reference}", "/api/payments/callback",
                                    "/api/links", "/api/links/qr.{kind}", "/api/orders/{reference}/status",
                                    "/api/orders/{reference}/invoice", "/api/shipments/events"}


def test_no_generated_input_gives_a_server_error(app):
    spec = copy.deepcopy(SPEC)
    # steer some of the generated carts onto real SKUs and options, so success and stock paths run too
    schemas = spec["components"]["schemas"]
    item = schemas["OrderIn"]["properties"]["items"]["items"]
    item["properties"]["sku"]["enum"] = ["TEE-RED-M", "HOM-SOAP", "HOM-SOAP", "HOM-THROW", "TEE-RED-L", "NOPE-1"]
    item["properties"]["quantity"]["maximum"] = 5
    item["anyOf"] = [{"required": ["sku"]}]
    schemas["OrderIn"]["properties"]["delivery"]["enum"] = ["madrid", "pickup", "moon"]
    schemas["OrderIn"]["properties"]["payment"]["enum"] = ["cod", "online", "bitcoin"]
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app  # calls go through the WSGI app, no network
    failures, calls = [], []
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=op.as_strategy())
        def check(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {API_TOKEN}"}
            response = case.call(app=app)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path}: {response.status_code} for {case.body!r}")
            case.validate_response(response, checks=[schemathesis.checks.not_a_server_error,
                                                     schemathesis.checks.status_code_conformance])

        if (op.method, op.path) == ("post", "/api/orders"):  # one valid cart runs, whatever else is drawn
            check = example(case=op.Case(body={"items": [{"sku": "TEE-RED-M", "quantity": 1}], "delivery": "pickup"},
                                         media_type="application/json"))(check)
        check()
    assert failures == []
    assert len(calls) > 100 and {201, 400, 422} <= set(calls)  # valid orders, bad input and stock problems were all tried
