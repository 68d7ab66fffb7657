"""Property-based API test driven by the OpenAPI document, with every schemathesis check on.

Positive and negative cases for every operation: no 5xx, every status, content type, header and body as
documented, schema-valid requests accepted, schema-invalid ones refused, auth enforced. The document
itself is generated from the pydantic models that validate the requests (bot/api/contract.py).
"""
from __future__ import annotations

import copy
import io

import schemathesis
from hypothesis import HealthCheck, example, given, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from bot.api import models
from bot.api.contract import OPERATIONS, REF
from bot.commerce.payments import signature

from .conftest import API_TOKEN, PAYMENT_SECRET

#: The callback's X-Signature placeholder that `Signing` replaces by the body's real signature.
SIGN_ME = "sign-me"
#: Statuses that accept a schema-valid request. 422 is the API's documented answer to a well-formed request the
#: shop cannot fulfil (unknown SKUs or options, not enough stock, an amount that is not the order's total):
#: the catalog and the stock change while the API runs, so the document cannot list them.
ACCEPTED = ["2xx", "401", "404", "409", "422"]


def test_the_openapi_document_is_served(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and r.json["openapi"].startswith("3.1")
    assert set(r.json["paths"]) == {"/api/orders", "/api/orders/{reference}", "/api/payments/callback",
                                    "/api/links", "/api/links/qr.{kind}", "/api/orders/{reference}/status",
                                    "/api/orders/{reference}/invoice", "/api/shipments/events",
                                    "/api/customers/optin"}
    assert r.json["components"]["securitySchemes"]["payment"]["name"] == "X-Signature"


def test_each_request_body_is_documented_by_the_model_that_validates_it(app, client):
    """The document is made from the models: they cannot drift apart."""
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    with app.app_context():  # the callback's body is the payment provider's model
        bodies = {(op.method, op.path_template): op.body_model() for op in OPERATIONS if op.body is not None}
    assert {op: model.__name__ for op, model in bodies.items()} == {
        ("post", "/api/orders"): "OrderIn", ("post", "/api/orders/{reference}/status"): "StatusIn",
        ("post", "/api/shipments/events"): "ShipmentEventIn", ("post", "/api/orders/{reference}/invoice"): "InvoiceIn",
        ("post", "/api/payments/callback"): "GenericPaymentNotice", ("post", "/api/customers/optin"): "OptInIn"}
    for (method, path), model in bodies.items():
        documented = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert documented == {"$ref": REF.format(model=model.__name__)}
        expected = model.model_json_schema(ref_template=REF)
        for name, schema in expected.pop("$defs", {}).items():
            assert schemas[name] == schema
        assert schemas[model.__name__] == expected
    created = spec["paths"]["/api/orders"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    expected = models.CreatedOrderOut.model_json_schema(ref_template=REF, mode="serialization")
    expected.pop("$defs")
    assert schemas[created["$ref"].rsplit("/", 1)[1]] == expected


class Signing:
    """WSGI middleware for the test: signs a payment callback whose X-Signature is the placeholder, as the
    provider would. Without the header, or with another value, the request goes through unsigned."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_SIGNATURE") == SIGN_ME:
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["HTTP_X_SIGNATURE"] = signature(PAYMENT_SECRET, raw)
        return self.app(environ, start_response)


def steered(spec: dict, reference: str) -> dict:
    """The document with some of the generated carts steered onto real SKUs and options, so that orders are
    created (201) and stock runs out (422), not only refused; and references onto a real order, so that its
    status, invoice and payment calls get past 404."""
    spec = copy.deepcopy(spec)
    for path in spec["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "reference":
                    parameter["schema"] = {"enum": [reference, "SHP-ZZZZZ"]}
    schemas = spec["components"]["schemas"]
    item = schemas["CartItem"]
    item["properties"]["sku"] = {"enum": ["TEE-RED-M", "HOM-SOAP", "HOM-SOAP", "HOM-THROW", "TEE-RED-L", "NOPE-1"]}
    item["properties"]["quantity"]["maximum"] = 5
    item["anyOf"] = [{"required": ["sku"]}]
    order = schemas["OrderIn"]["properties"]
    order["items"]["maxItems"] = 10  # 10 lines of at most 5: under the cap of 99 of one SKU per order
    order["delivery"] = {"enum": ["madrid", "pickup", "moon"]}
    order["payment"] = {"enum": ["cod", "online", "bitcoin"]}
    notice = schemas["GenericPaymentNotice"]["properties"]
    notice["reference"] = {"enum": [reference, "SHP-ZZZZZ"]}
    notice["amount"] = {"enum": ["6.50", "0.65", "6.505"]}  # the order's total, a wrong one, too many decimals
    notice["currency"] = {"enum": ["EUR", "USD"]}
    return spec


def test_every_schemathesis_check_passes_on_every_operation(app, client):
    load_all_checks()
    checks = CHECKS.get_all()
    assert {"not_a_server_error", "status_code_conformance", "content_type_conformance",
            "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
            "positive_data_acceptance", "ignored_auth", "missing_required_header", "unsupported_method"} \
        <= {check.__name__ for check in checks}
    config = SchemathesisConfig.from_dict({
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        # a NUL is refused in any string, keys too (documented in the info section; JSON Schema cannot say it)
        "generation": {"allow-x00": False},
    })
    order = client.post("/api/orders", json={"items": [{"sku": "HOM-SOAP"}]},
                        headers={"Authorization": f"Bearer {API_TOKEN}"}).json
    schema = schemathesis.openapi.from_dict(steered(client.get("/api/openapi.json").json, order["reference"]),
                                            config=config)
    wsgi = Signing(app)
    schema.app = wsgi  # calls go through the WSGI app, no network
    failures, calls = [], []
    for operation in schema.get_all_operations():
        op = operation.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check = _property(op, mode, checks, wsgi, failures, calls)
            if (op.method, op.path) == ("post", "/api/orders") and mode is GenerationMode.POSITIVE:
                check = example(case=op.Case(body={"items": [{"sku": "TEE-RED-M", "quantity": 1}],
                                                   "delivery": "pickup"}, media_type="application/json"))(check)
            if (op.method, op.path) == ("post", "/api/payments/callback") and mode is GenerationMode.POSITIVE:
                paid = {"reference": order["reference"], "payment_id": "pi_1", "amount": "6.50", "currency": "EUR"}
                check = example(case=op.Case(body=paid, media_type="application/json"))(check)
            check()
    assert not failures, "\n\n".join(failures)
    assert len(calls) > 400 and {200, 201, 400, 401, 404, 422} <= set(calls)  # success, refusals and stock problems


def _property(op, mode, checks, wsgi, failures, calls):
    """The hypothesis test of one operation in one generation mode; failures and statuses go to the lists."""

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    @given(case=op.as_strategy(generation_mode=mode))
    def check(case):
        credentials = {"X-Signature": SIGN_ME} if op.path == "/api/payments/callback" else \
            {"Authorization": f"Bearer {API_TOKEN}"}
        try:  # credentials passed as the caller's: ignored_auth then retries without them and with bad ones
            response = case.call_and_validate(headers=credentials, checks=checks, app=wsgi)
        except FailureGroup as exc:  # one entry per failed check
            failures.append(f"{op.method.upper()} {op.path} ({mode.value}): {str(exc)[:1500]}")
            return
        calls.append(response.status_code)

    return check
