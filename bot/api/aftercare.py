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
from bot.models import CarrierEvent, Customer, Invoice, Order
from bot.api import body_bytes, bp, error, json_body, text_field, token_required

R = tracking.Result
#: The HTTP status of each carrier event outcome.
EVENT_STATUS = {R.APPLIED: 200, R.STALE: 200, R.HANDED_TO_STAFF: 200, R.DUPLICATE: 200, R.HELD: 202,
                R.UNKNOWN_CARRIER: 422, R.UNKNOWN_CODE: 422, R.NOT_SHIPPABLE: 409}
#: The longest value of each event field the carrier_event table holds.
EVENT_FIELDS = {name: getattr(CarrierEvent, name).type.length
                for name in ("carrier", "tracking_number", "code", "event_id")}


def _order(session, reference: str) -> Order | None:
    return orders.by_reference(session, reference, lock=True)


def _event_time(raw) -> datetime:
    """An ISO 8601 time as an aware UTC datetime (no zone: UTC); raises InvalidInput naming `time`.

    Years 1970 to 9998 only, so the time can be shown in any timezone (9999-12-31T23:59:59-12:00
    is past the last day Python knows in UTC).
    """
    problem = InvalidInput("time", "must be an ISO 8601 time between the years 1970 and 9998, "
                                   "like 2026-11-24T10:00:00Z")
    if not isinstance(raw, str):
        raise problem
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise problem from None
    if not 1970 <= when.year <= 9998:
        raise problem
    return when


@bp.post("/orders/<reference>/status")
@token_required
def set_status(reference: str):
    """{"status": "shipped", "carrier": "seur", "tracking_number": "...", "note": "..."}"""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    status = text_field(body, "status", required=True, limit=32)
    carrier, tracking_number = text_field(body, "carrier", limit=64), text_field(body, "tracking_number")
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
                     note=text_field(body, "note", limit=500))
        return jsonify({"reference": order.reference, "status": order.status})


@bp.post("/shipments/events")
@token_required
def shipment_event():
    """{"carrier": "seur", "tracking_number": "...", "code": "DELIVERED", "time": "2026-11-24T10:00:00Z", "event_id": "..."}"""
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    event = {field: text_field(body, field, required=True, limit=limit) for field, limit in EVENT_FIELDS.items()}
    event["time"] = _event_time(body.get("time"))
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        outcome = tracking.apply(session, content, event, now())
    answer = {"result": outcome.result.value, "event_id": outcome.event_id}
    if outcome.result is R.HELD:
        answer["detail"] = "held until an order has this tracking number"
    if outcome.status is not None:
        answer["status"] = outcome.status
    if outcome.known:
        answer["known"] = list(outcome.known)
    current_app.extensions["shopbot.wakeup"].set()
    return jsonify(answer), EVENT_STATUS[outcome.result]


@bp.post("/orders/<reference>/invoice")
@token_required
def post_invoice(reference: str):
    """The shop's invoicing system sends the invoice: {"number", "url"} or {"number", "pdf_base64", "filename"},
    or a raw PDF body (Content-Type: application/pdf, ?number=...)."""
    if request.mimetype == "application/pdf":
        pdf, url, query = body_bytes(), None, {k: v for k, v in request.args.items() if v}
        number = text_field(query, "number", limit=32)
        filename = text_field(query, "filename", limit=128) or f"invoice-{number or reference}.pdf"
    else:
        body = json_body()
        if not isinstance(body, dict):
            raise InvalidInput("body", "must be a JSON object")
        number, url, pdf = text_field(body, "number", limit=32), text_field(body, "url", limit=2000), None
        if body.get("pdf_base64") is not None:
            try:
                pdf = base64.b64decode(str(body["pdf_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput("pdf_base64", "must be base64") from None
        filename = text_field(body, "filename", limit=128) or f"invoice-{number or reference}.pdf"
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
