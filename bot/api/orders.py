"""POST /api/orders (the website's cart becomes a pending order) and GET /api/orders/<ref>."""
from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import select

from bot.api.contract import Reply, operation
from bot.api.models import CreatedOrderOut, OrderIn, OrderOut
from bot.commerce import orders, website_orders
from bot.db import transaction
from bot.errors import NotFound
from bot.models import OrderLine
from bot.models import utcnow as now
from bot.whatsapp.inbound import ensure_stock_synced


@operation("post", "/orders", "Create a pending order from a website cart; returns it with a wa.me link",
           {201: Reply("created", CreatedOrderOut),
            422: "unknown SKUs, products, options, delivery or payment options, or not enough stock (`details`)"},
           body=OrderIn, security="token")
def create_order(body: OrderIn):
    content = current_app.extensions["shopbot.content"].current()
    ensure_stock_synced(current_app, content)
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        customer = body.customer
        order, link = website_orders.create(
            session, content, body.items, now(), current_app.config["WHATSAPP_DISPLAY_NUMBER"],
            name=customer.name if customer else None, phone=customer.phone if customer else None,
            delivery=body.delivery, payment=body.payment, address=body.address, note=body.note, source=body.source)
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        result = CreatedOrderOut(**website_orders.as_json(order, lines, content), whatsapp_url=link)
    return jsonify(result.model_dump(mode="json")), 201


@operation("get", "/orders/<reference>", "An order by its reference", {200: Reply("the order", OrderOut)},
           security="token")
def get_order(reference: str):
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = orders.by_reference(session, reference)
        if order is None:
            raise NotFound(f"no order {reference}")
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        return jsonify(OrderOut(**website_orders.as_json(order, lines, content)).model_dump(mode="json"))
