"""The JSON API for the shop's website, payment provider and (later) carriers and invoicing.

Each route is declared once in bot/api/contract.py with the pydantic models of
bot/api/models.py: they validate the request and make /api/openapi.json.
Errors are JSON: 400 names the field, 401 a bad token, 404 what does not exist,
409 a conflict with the order's state, 413 a body over MAX_API_BYTES, 422 what
cannot be fulfilled, 503 a token or secret that is not set. Nothing here trusts
amounts sent by a client, and nothing a client sends reaches the database
before it is checked (bot/web_input.py: storable text, JSON depth).
"""
from __future__ import annotations

import hmac
from functools import wraps

from flask import Blueprint, abort, current_app, jsonify, request

from bot.errors import InvalidInput, NotFound, Unprocessable
from bot.web_input import check_fields, parse_json

PREFIX = "/api"  # every route of the blueprint, and every path of the OpenAPI document, starts here
bp = Blueprint("api", __name__, url_prefix=PREFIX)


def error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return error(400, exc.message, field=exc.field)


@bp.errorhandler(Unprocessable)
def _unprocessable(exc: Unprocessable):
    return error(422, exc.message, details=exc.details, **({"field": exc.field} if exc.field else {}))


@bp.errorhandler(NotFound)
def _missing(exc: NotFound):
    return error(404, exc.message, **({"field": exc.field} if exc.field else {}))


@bp.errorhandler(400)
def _bad_request(exc):
    return error(400, "the body must be valid JSON", field="body")


@bp.errorhandler(413)
def _too_large(exc):
    limit = _size(current_app.config["MAX_API_BYTES"])
    return error(413, f"the request body is larger than the limit of {limit} (MAX_API_BYTES)")


@bp.errorhandler(404)
def _not_found(exc):
    return error(404, "not found")


@bp.errorhandler(405)
def _method(exc):
    response, status = error(405, "method not allowed")
    response.headers["Allow"] = ", ".join(exc.valid_methods or ())
    return response, status


def _size(limit: int) -> str:
    """10485760 -> "10 MB", 2000 -> "2 KB"."""
    return f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit / 2**10:.0f} KB"


@bp.before_request
def limit_request():
    """Every /api body is limited to MAX_API_BYTES, and query fields must be storable text.

    werkzeug refuses a larger Content-Length (413) but ends a chunked body at
    the limit without an error (half a PDF would be stored), so the stream is
    allowed one byte more and `body_bytes` refuses a body that has it.
    """
    request.max_content_length = current_app.config["MAX_API_BYTES"] + 1
    check_fields(request.args.items(multi=True))


def body_bytes() -> bytes:
    """The raw request body (cached for get_json); aborts with 413 over MAX_API_BYTES."""
    data = request.get_data(cache=True)
    if len(data) > current_app.config["MAX_API_BYTES"]:
        abort(413)
    return data


def token_required(view):
    """`Authorization: Bearer <SHOP_API_TOKEN>`, compared in constant time.

    Without a SHOP_API_TOKEN the API is switched off (503): there is no default token live.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        expected = current_app.config.get("SHOP_API_TOKEN") or ""
        if not expected:
            return error(503, "the API is not configured (set SHOP_API_TOKEN)")
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return error(401, "missing or wrong API token (Authorization: Bearer <token>)")
        return view(*args, **kwargs)

    return wrapper


def json_body():
    """The parsed JSON body, checked by `check_json`; raises InvalidInput (400) naming the field."""
    return parse_json(body_bytes())


from bot.api import aftercare, customers, links, openapi, orders, payments  # noqa: E402,F401  (routes register on import)
