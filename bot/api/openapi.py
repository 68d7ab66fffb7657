"""GET /api/openapi.json: the API as OpenAPI 3.1, generated from the declared operations (bot/api/contract.py)."""
from __future__ import annotations

from flask import jsonify

from bot.api import bp
from bot.api.contract import document
from bot.api.payments import active_provider


@bp.get("/openapi.json")
def openapi():
    """The document for this app: the payment callback as its PAYMENT_PROVIDER signs and sends it."""
    return jsonify(document(active_provider().SECURITY))
