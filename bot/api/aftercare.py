"""After the order: status changes from the shop's systems, carrier events, invoices."""
from __future__ import annotations

import base64

from flask import current_app, jsonify

from bot.api import body_bytes, error
from bot.api.contract import Reply, operation
from bot.api.models import InvoiceIn, InvoiceOut, InvoiceQuery, ShipmentEventIn, ShipmentEventOut, StatusIn, StatusOut
from bot.commerce import invoices, orders, tracking
from bot.db import transaction
from bot.errors import NotFound
from bot.models import utcnow as now

R = tracking.Result
#: The HTTP status of each carrier event outcome.
EVENT_STATUS = {R.APPLIED: 200, R.STALE: 200, R.HANDED_TO_STAFF: 200, R.DUPLICATE: 200, R.HELD: 202,
                R.UNKNOWN_CARRIER: 422, R.UNKNOWN_CODE: 422, R.NOT_SHIPPABLE: 409}
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def _order(session, reference: str):
    order = orders.by_reference(session, reference, lock=True)
    if order is None:
        raise NotFound(f"no order {reference}")
    return order


@operation("post", "/orders/<reference>/status", "Move an order to a status (the order table decides what is allowed)",
           {200: Reply("the new status (carrier events held for a new tracking number are applied too)", StatusOut),
            409: "not allowed from the current status (`current` is the order's status)"},
           body=StatusIn, security="token")
def set_status(reference: str, body: StatusIn):
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = _order(session, reference)
        try:
            orders.apply(session, content, order, orders.event_for(order, body.status), "api", now(),
                         carrier=body.carrier, tracking_number=body.tracking_number,
                         note=(body.note or "").strip() or None)
        except orders.IllegalTransition as exc:
            return error(409, str(exc), current=order.status)
        return jsonify(StatusOut(reference=order.reference, status=order.status,
                                 payment_status=order.payment_status).model_dump(mode="json"))


@operation("post", "/shipments/events", "A carrier's tracking event (idempotent by carrier and event_id; never "
           "moves an order backwards; held until an order has its tracking number)",
           {200: Reply("applied, duplicate, stale or handed to staff", ShipmentEventOut),
            202: Reply("held until an order has this tracking number (a redelivery answers the same)",
                       ShipmentEventOut),
            409: Reply("the order cannot move that way", ShipmentEventOut),
            422: Reply("an unknown carrier or event code (`known` lists the known ones)", ShipmentEventOut)},
           body=ShipmentEventIn, security="token")
def shipment_event(body: ShipmentEventIn):
    content = current_app.extensions["shopbot.content"].current()
    event = {"carrier": body.carrier, "tracking_number": body.tracking_number, "code": body.code,
             "event_id": body.event_id, "time": body.when}
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        outcome = tracking.apply(session, content, event, now())
    answer = ShipmentEventOut(result=outcome.result.value, event_id=outcome.event_id, status=outcome.status,
                              known=list(outcome.known) or None,
                              detail="held until an order has this tracking number" if outcome.result is R.HELD
                              else None)
    current_app.extensions["shopbot.wakeup"].set()
    return jsonify(answer.model_dump(mode="json", exclude_none=True)), EVENT_STATUS[outcome.result]


@operation("post", "/orders/<reference>/invoice", "The shop's invoicing system sends an order's invoice: "
           "a link, the PDF as base64, or a raw PDF body (Content-Type: application/pdf, ?number=&filename=)",
           {201: Reply("stored and queued for the customer", InvoiceOut),
            409: "the order already has an invoice, or another order's invoice has this number",
            422: "the document is not a PDF"},
           body=InvoiceIn, query=InvoiceQuery, raw_media=PDF, security="token")
def post_invoice(reference: str, body: InvoiceIn | None, query: InvoiceQuery):
    if body is None:  # a raw PDF
        pdf, url, number, filename = body_bytes(), None, query.number, query.filename
    else:
        number, url, filename = body.number, body.url, body.filename
        pdf = base64.b64decode(body.pdf_base64, validate=True) if body.pdf_base64 is not None else None
    content, t = current_app.extensions["shopbot.content"].current(), now()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = _order(session, reference)
        receipt = invoices.receive_external(session, content, order, t, number=number, url=url, pdf=pdf,
                                            filename=filename or f"invoice-{number or order.reference}.pdf")
    if receipt.result is invoices.Received.ALREADY_INVOICED:
        return error(409, f"order {order.reference} already has an invoice")
    if receipt.result is invoices.Received.NUMBER_TAKEN:
        return error(409, f"invoice number {number} is already used by another order", field="number")
    current_app.extensions["shopbot.wakeup"].set()
    answer = InvoiceOut(reference=order.reference, invoice=number, queued_for_customer=receipt.queued_for_customer)
    return jsonify(answer.model_dump(mode="json")), 201
