"""The API described as OpenAPI 3.1, served at /api/openapi.json (schemathesis tests against it)."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from bot.api import bp

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string"}, "field": {"type": "string"},
    "details": {"type": "array", "items": {"type": "object"}}}}
ERRORS = {code: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
          for code, text in (("400", "a field is missing or malformed (`field` names it)"),
                             ("401", "missing or wrong token"), ("404", "not found"),
                             ("413", "the body is larger than MAX_API_BYTES (10 MB by default)"),
                             ("422", "unknown SKUs or not enough stock (`details`)"))}
ITEM = {"type": "object", "properties": {
    "sku": {"type": "string", "minLength": 1, "examples": ["TEE-RED-M"]},
    "product_id": {"type": "string", "examples": ["organic-tee"]},
    "options": {"type": "object", "additionalProperties": {"type": "string"}, "examples": [{"size": "M", "colour": "Red"}]},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 99, "default": 1,
                 "description": "at most 99 of one SKU per order, summed over the lines"}},
    "anyOf": [{"required": ["sku"]}, {"required": ["product_id", "options"]}]}
ORDER_IN = {"type": "object", "required": ["items"], "properties": {
    "items": {"type": "array", "minItems": 1, "maxItems": 50, "items": ITEM},
    "customer": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 120},
                                                  "phone": {"type": "string", "pattern": "^\\+?[0-9 ()-]{6,20}$",
                                                            "examples": ["+34 600 111 222"]}}},
    "delivery": {"type": "string", "examples": ["madrid"]},
    "payment": {"type": "string", "examples": ["online"]},
    "address": {"type": "string", "maxLength": 500},
    "note": {"type": "string", "maxLength": 500},
    "source": {"type": "string", "maxLength": 32, "examples": ["website"]}}}
ORDER_OUT = {"type": "object", "required": ["reference", "status", "total", "currency", "items"], "properties": {
    "reference": {"type": "string", "examples": ["SHP-7K3F9"]}, "status": {"type": "string"},
    "currency": {"type": "string"}, "subtotal": {"type": "integer"}, "shipping_fee": {"type": "integer"},
    "total": {"type": "integer", "description": "minor units (cents)"},
    "items": {"type": "array", "items": {"type": "object"}},
    "whatsapp_url": {"type": "string", "format": "uri"}}}
PAYMENT_IN = {"type": "object", "required": ["reference", "payment_id", "amount", "currency"], "properties": {
    "reference": {"type": "string"}, "payment_id": {"type": "string"},
    "amount": {"type": "string", "examples": ["36.90"]}, "currency": {"type": "string", "examples": ["EUR"]},
    "status": {"type": "string", "enum": ["paid", "failed"], "default": "paid"}}}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "shopbot API", "version": "1",
             "description": "Create pending orders from the shop's website, receive payment confirmations, "
                            "and make click-to-chat links. Amounts are integer minor units (cents)."},
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"},
                            "signature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                                          "description": "sha256=<hex HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET>"}},
        "schemas": {"Error": ERROR, "OrderIn": ORDER_IN, "Order": ORDER_OUT, "PaymentIn": PAYMENT_IN},
    },
    "paths": {
        "/api/orders": {"post": {
            "summary": "Create a pending order from a website cart; returns it with a wa.me link",
            "security": [{"token": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderIn"}}}},
            "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "401", "413", "422")}}}},
        "/api/orders/{reference}": {"get": {
            "summary": "An order by its reference", "security": [{"token": []}],
            "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                          **{k: v for k, v in ERRORS.items() if k in ("401", "404")}}}},
        "/api/payments/callback": {"post": {
            "summary": "The payment provider confirms a payment (idempotent by payment_id)",
            "security": [{"signature": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentIn"}}}},
            "responses": {"200": {"description": "recorded, already recorded, handed to staff (failed), or ignored "
                                                 "(a failure for an order already paid, an unknown status)"},
                          "409": {"description": "the order cannot be paid in its status"},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "401", "404", "413", "422")}}}},
        "/api/orders/{reference}/status": {"post": {
            "summary": "Move an order to a status (the order table decides what is allowed)",
            "security": [{"token": []}],
            "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "examples": ["confirmed", "shipped"]},
                    "carrier": {"type": "string", "examples": ["seur"]},
                    "tracking_number": {"type": "string"}, "note": {"type": "string", "maxLength": 500}}}}}},
            "responses": {"200": {"description": "the new status (carrier events held for a new tracking number "
                                                 "are applied too)"},
                          "409": {"description": "not allowed from the current status"},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "401", "404", "413")}}}},
        "/api/orders/{reference}/invoice": {"post": {
            "summary": "The shop's invoicing system sends an order's invoice (a link or a PDF)",
            "security": [{"token": []}],
            "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "number": {"type": "string"}, "url": {"type": "string"}, "pdf_base64": {"type": "string"},
                    "filename": {"type": "string"}}}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"201": {"description": "stored and queued for the customer"},
                          "409": {"description": "the order already has an invoice"},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "401", "404", "413")}}}},
        "/api/shipments/events": {"post": {
            "summary": "A carrier's tracking event (idempotent by carrier and event_id; never moves an order "
                       "backwards; held until an order has its tracking number)",
            "security": [{"token": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["carrier", "tracking_number", "code", "time", "event_id"], "properties": {
                    "carrier": {"type": "string", "examples": ["seur"]}, "tracking_number": {"type": "string"},
                    "code": {"type": "string", "examples": ["DELIVERED"]},
                    "time": {"type": "string", "format": "date-time"}, "event_id": {"type": "string"}}}}}},
            "responses": {"200": {"description": "applied, duplicate, stale or handed to staff"},
                          "202": {"description": "held until an order has this tracking number (a redelivery "
                                                 "answers the same)"},
                          "409": {"description": "the order cannot move that way"},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "401", "413", "422")}}}},
        "/api/links": {"get": {
            "summary": "A click-to-chat link with a prefilled enquiry",
            "parameters": [{"name": "product", "in": "query", "schema": {"type": "string"}},
                           {"name": "source", "in": "query", "schema": {"type": "string", "maxLength": 32}}],
            "responses": {"200": {"description": "the link, its text and QR code addresses"},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "404")}}}},
        "/api/links/qr.{kind}": {"get": {
            "summary": "The link's QR code",
            "parameters": [{"name": "kind", "in": "path", "required": True, "schema": {"type": "string", "enum": ["png", "svg"]}},
                           {"name": "product", "in": "query", "schema": {"type": "string"}},
                           {"name": "source", "in": "query", "schema": {"type": "string", "maxLength": 32}}],
            "responses": {"200": {"description": "image/png or image/svg+xml"},
                          **{k: v for k, v in ERRORS.items() if k in ("400", "404")}}}},
    },
}
# Every authenticated operation is switched off (503) while its token or secret is unset.
for _operation in (op for path in SPEC["paths"].values() for op in path.values()):
    if "401" in _operation["responses"]:
        _operation["responses"]["503"] = {"description": "not configured: SHOP_API_TOKEN or PAYMENT_WEBHOOK_SECRET "
                                                         "is unset", "content": ERRORS["401"]["content"]}


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)
