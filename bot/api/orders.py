"""POST /api/orders (the website's cart becomes a pending order) and GET /api/orders/<ref>."""
from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import select

from bot.commerce import orders, website_orders
from bot.db import transaction
from bot.whatsapp.inbound import ensure_stock_synced
from bot.models import utcnow as now
from bot.models import OrderLine
from bot.api import bp, error, json_body, token_required


@bp.post("/orders")
@token_required
def create_order():
    body = json_body()
    content = current_app.extensions["shopbot.content"].current()
    ensure_stock_synced(current_app, content)
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order, link = website_orders.create(session, content, body, now(), current_app.config["WHATSAPP_DISPLAY_NUMBER"])
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        result = website_orders.as_json(order, lines, content) | {"whatsapp_url": link}
    return jsonify(result), 201


@bp.get("/orders/<reference>")
@token_required
def get_order(reference: str):
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = orders.by_reference(session, reference)
        if order is None:
            return error(404, f"no order {reference}")
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        return jsonify(website_orders.as_json(order, lines, content))
