"""After the order: status changes from the shop's systems, carrier events, invoices."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from flask import current_app, jsonify, request
from sqlalchemy import select

from bot.commerce import invoices, orders, tracking
from bot.whatsapp import outbox
from bot.db import transaction
from bot.errors import InvalidInput
from bot.models import utcnow as now
from bot.models import Customer, Invoice, Order
from bot.api import bp, error, json_body, token_required


def _order(session, reference: str) -> Order | None:
    return session.scalars(select(Order).where(Order.reference == reference.upper()).with_for_update()).first()


def _text(body: dict, field: str, required: bool = False, limit: int = 128) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(field, f"must be text of 1 to {limit} characters")
    return value.strip()


@bp.post("/orders/<reference>/status")
@token_required
def set_status(reference: str):
    """{"status": "shipped", "carrier": "seur", "tracking_number": "...", "note": "..."}"""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    status = _text(body, "status", required=True, limit=32)
    carrier, tracking_number = _text(body, "carrier", limit=64), _text(body, "tracking_number")
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = _order(session, reference)
        if order is None:
            return error(404, f"no order {reference}")
        try:
            event = orders.event_for(order, status)
        except orders.IllegalTransition as exc:
            return error(409, str(exc), current=order.status)
        orders.apply(session, content, order, event, "api", now(), carrier=carrier, tracking_number=tracking_number,
                     note=_text(body, "note", limit=500))
        return jsonify({"reference": order.reference, "status": order.status})


@bp.post("/shipments/events")
@token_required
def shipment_event():
    """{"carrier": "seur", "tracking_number": "...", "code": "DELIVERED", "time": "2026-11-24T10:00:00Z", "event_id": "..."}"""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    event = {field: _text(body, field, required=True) for field in ("carrier", "tracking_number", "code", "event_id")}
    raw_time = body.get("time")
    try:
        when = datetime.fromisoformat(str(raw_time).replace("Z", "+00:00"))
        event["time"] = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except ValueError:
        raise InvalidInput("time", "must be an ISO 8601 time, like 2026-11-24T10:00:00Z") from None
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        status, answer = tracking.apply(session, content, event, now())
    return jsonify(answer), status


@bp.post("/orders/<reference>/invoice")
@token_required
def post_invoice(reference: str):
    """The shop's invoicing system sends the invoice: {"number", "url"} or {"number", "pdf_base64", "filename"},
    or a raw PDF body (Content-Type: application/pdf, ?number=...)."""
    if request.mimetype == "application/pdf":
        pdf, number, url = request.get_data(), request.args.get("number"), None
        filename = request.args.get("filename") or f"invoice-{number or reference}.pdf"
    else:
        body = json_body()
        if not isinstance(body, dict):
            raise InvalidInput("body", "must be a JSON object")
        number, url, pdf = _text(body, "number", limit=32), _text(body, "url", limit=2000), None
        if body.get("pdf_base64") is not None:
            try:
                pdf = base64.b64decode(str(body["pdf_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput("pdf_base64", "must be base64") from None
        filename = _text(body, "filename", limit=128) or f"invoice-{number or reference}.pdf"
        if url is not None and not url.startswith("https://"):
            raise InvalidInput("url", "must be an https:// link")
        if (url is None) == (pdf is None):
            raise InvalidInput("url", "give either url or pdf_base64")
    if pdf is not None and not pdf.startswith(b"%PDF"):
        raise InvalidInput("pdf", "is not a PDF")
    content, t = current_app.extensions["shopbot.content"].current(), now()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = _order(session, reference)
        if order is None:
            return error(404, f"no order {reference}")
        if session.scalars(select(Invoice).where(Invoice.order_id == order.id)).first() is not None:
            return error(409, f"order {order.reference} already has an invoice")
        invoice = Invoice(order_id=order.id, number=number, source="external", url=url, pdf=pdf,
                          filename=filename, created_at=t)
        session.add(invoice)
        session.flush()
        sent = False
        if order.customer_id is not None:
            outbox.enqueue(session, session.get(Customer, order.customer_id),
                           [invoices.document_message(content, invoice, order)], t, cause=f"invoice:{order.reference}")
            sent = True
    current_app.extensions["shopbot.wakeup"].set()
    return jsonify({"reference": order.reference, "invoice": number, "queued_for_customer": sent}), 201
