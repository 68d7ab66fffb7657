"""The API's contract: each route is declared once, and both its validation and its OpenAPI entry come from it.

`@operation(...)` registers a view on the blueprint with its models (body,
query, path parameters, responses) and security. At request time it checks
the token, then reads the query, the path and the JSON body into their
pydantic models and passes them to the view (`query=`, `path=`, `body=`);
a bad value is an InvalidInput (400, or 404 for a path parameter) naming the
field. `document()` builds the OpenAPI 3.1 document from the same
declarations (pydantic's JSON schemas under #/components/schemas).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import request
from pydantic import BaseModel

from bot.api import PREFIX, bp, json_body, token_required
from bot.api.models import Error
from bot.errors import InvalidInput, NotFound
from bot.web_input import validate

REF = "#/components/schemas/{model}"
#: What each error status means across the API.
ERRORS = {400: "a field is missing or malformed (`field` names it)", 401: "missing or wrong credentials",
          404: "not found", 409: "a conflict with the order's state", 413: "the body is larger than MAX_API_BYTES",
          422: "well-formed, but the shop cannot fulfil it (`details` say why)",
          503: "not configured: SHOP_API_TOKEN or PAYMENT_WEBHOOK_SECRET is unset"}
#: Security schemes: the shop's token; the payment provider's is filled in from the provider (`document`).
TOKEN_SCHEME = {"type": "http", "scheme": "bearer"}

Model = type[BaseModel]


@dataclass(frozen=True)
class Reply:
    """One documented response: a description and, per media type, a model or a raw schema."""

    description: str
    model: Model | None = None
    media: dict[str, dict] = field(default_factory=dict)


@dataclass
class Operation:
    method: str
    rule: str
    summary: str
    body: Model | Callable[[], Model] | None  # a callable when another module owns the model (the payment provider)
    query: Model | None
    path: Model | None
    responses: dict[int, Reply]
    security: str | None
    raw_media: dict[str, dict]  # request bodies read as bytes by the view: media type -> schema
    validate_body: bool

    @property
    def path_template(self) -> str:
        """The Flask rule as an OpenAPI path: /orders/<reference> -> /api/orders/{reference}."""
        return PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)

    def body_model(self) -> Model | None:
        return self.body() if callable(self.body) and not isinstance(self.body, type) else self.body


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, summary: str, responses: dict[int, Reply | str], *, body=None,
              query: Model | None = None, path: Model | None = None, security: str | None = None,
              raw_media: dict[str, dict] | None = None, validate_body: bool = True):
    """Declare and register a view. Status codes that follow from the declaration are added to `responses`:
    400 for a body or query, 413 for a body, 401 and 503 for a token, 404 for path parameters."""
    replies = {code: Reply(r) if isinstance(r, str) else r for code, r in responses.items()}
    implied = ([400] if body or query or path else []) + ([413] if body or raw_media else []) \
        + ([401, 503] if security else []) + ([404] if "<" in rule else [])
    for code in implied:
        replies.setdefault(code, Reply(ERRORS[code]))

    def register(view):
        op = Operation(method, rule, summary, body, query, path, dict(sorted(replies.items())), security,
                       raw_media or {}, validate_body)
        OPERATIONS.append(op)

        @wraps(view)
        def checked(**kwargs):
            if op.path is not None:
                try:
                    kwargs = {"path": validate(op.path, kwargs)}
                except InvalidInput as exc:
                    raise NotFound(f"no such {exc.field}") from None
            if op.query is not None:
                kwargs["query"] = validate(op.query, request.args.to_dict())
            if op.body is not None and op.validate_body:
                raw = request.mimetype in op.raw_media
                kwargs["body"] = None if raw else validate(op.body_model(), json_body())
            return view(**kwargs)

        bp.add_url_rule(rule, view.__name__, token_required(checked) if security == "token" else checked,
                        methods=[method.upper()])
        return view

    return register


def document(payment_scheme: dict | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation, built from their models.

    `payment_scheme` is how the payment provider signs its notices (its `SECURITY`).
    """
    schemas: dict[str, Any] = {}

    def ref(model: Model, mode: Literal["validation", "serialization"]) -> dict:
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}

    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {"summary": op.summary}
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"<(?:\w+:)?(\w+)>", op.rule)]
        if op.path is not None:
            properties = op.path.model_json_schema()["properties"]
            parameters = [{"name": name, "in": "path", "required": True, "schema": _plain(properties[name])}
                          for name in properties]
        if op.query is not None:
            schema = op.query.model_json_schema()
            parameters += [{"name": name, "in": "query", "required": name in schema.get("required", ()),
                            "schema": _plain(prop)} for name, prop in schema["properties"].items()]
        if parameters:
            entry["parameters"] = parameters
        model = op.body_model()
        if model is not None or op.raw_media:
            content = {"application/json": {"schema": ref(model, "validation")}} if model else {}
            entry["requestBody"] = {"required": True, "content": content | op.raw_media}
        if op.security:
            entry["security"] = [{op.security: []}]
        entry["responses"] = {}
        for code, reply in op.responses.items():
            answer: dict[str, Any] = {"description": reply.description}
            model = reply.model or (Error if code >= 400 else None)
            if model is not None:
                answer["content"] = {"application/json": {"schema": ref(model, "serialization")}}
            if reply.media:
                answer["content"] = reply.media
            entry["responses"][str(code)] = answer
        paths.setdefault(op.path_template, {})[op.method] = entry
    security = {"token": TOKEN_SCHEME}
    if payment_scheme:
        security["payment"] = payment_scheme
    return {
        "openapi": "3.1.0",
        "info": {"title": "shopbot API", "version": "1",
                 "description": "Create pending orders from the shop's website, receive payment notices and "
                                "carrier events, send invoices, and make click-to-chat links. Amounts are integer "
                                "minor units (cents). Text may not hold a NUL character (refused with 400 naming "
                                "the field), and JSON is at most 32 levels deep."},
        "paths": paths,
        "components": {"securitySchemes": security, "schemas": dict(sorted(schemas.items()))},
    }


def _plain(schema: dict) -> dict:
    """A parameter's schema without pydantic's `title`, and `X | None` as plain X.

    A parameter that has no value is left out of the query, never sent as null.
    """
    schema = {k: v for k, v in schema.items() if k not in ("title", "default")}
    options = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
    return (options[0] | schema) if options else schema
