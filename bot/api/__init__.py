"""The JSON API for the shop's website, payment provider and (later) carriers and invoicing.

Errors are JSON: 400 names the field, 401 a bad token, 422 what cannot be
fulfilled. Nothing here trusts amounts sent by a client.
"""
from __future__ import annotations

import hmac
from functools import wraps

from flask import Blueprint, current_app, jsonify, request

from ..errors import InvalidInput, Unprocessable

bp = Blueprint("api", __name__, url_prefix="/api")


def error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return error(400, exc.message, field=exc.field)


@bp.errorhandler(Unprocessable)
def _unprocessable(exc: Unprocessable):
    return error(422, exc.message, details=exc.details)


@bp.errorhandler(400)
def _bad_request(exc):
    return error(400, "the body must be valid JSON", field="body")


@bp.errorhandler(404)
def _not_found(exc):
    return error(404, "not found")


@bp.errorhandler(405)
def _method(exc):
    return error(405, "method not allowed")


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
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("body", "must be a JSON object")
    return body


from . import aftercare, links, openapi, orders, payments  # noqa: E402,F401  (routes register on import)
