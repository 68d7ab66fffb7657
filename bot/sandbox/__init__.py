"""The sandbox: a WhatsApp-like chat page plus the fake Graph API it talks to.

Registered only in sandbox mode (`shopbot run`, or SHOPBOT_SANDBOX=1): the
page's API signs any body and shows any customer's replies, so it must never
exist on a live bot. The page posts real, signed, Meta-format webhooks to
`/webhook`; the bot's replies go through pywa to the fake Graph API mounted at
`/sandbox/graph`, which records them for the page's feed and posts `sent` and
`delivered` status webhooks back, like Meta, to the app's own configured
address (SANDBOX_URL), never to one a request names.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time

import httpx
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot.db import transaction
from bot.models import Customer, InboundEvent, Invoice, OutboundMessage, SandboxMessage
from bot.sandbox.fake_graph import FakeGraph
from bot.whatsapp.message_types import outbound_line

log = logging.getLogger(__name__)

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", template_folder="templates",
               static_folder="static", static_url_path="/static")

FEEDBACK_DELAYS = (("sent", 0.05), ("delivered", 0.5))


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta would send for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def status_webhook(config: dict, wamid: str, status: str, recipient: str) -> bytes:
    """A Meta-format status webhook body."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": config["WHATSAPP_DISPLAY_NUMBER"],
                         "phone_number_id": config["WHATSAPP_PHONE_ID"]},
            "statuses": [{"id": wamid, "status": status, "timestamp": str(int(time.time())),
                          "recipient_id": recipient}]}}]}]}).encode()


def _recipient(payload: dict) -> str:
    return str(payload.get("to") or payload.get("recipient") or "")


def _reader(session, payload: dict) -> str:
    """The customer whose message a read receipt marks: the sender of that stored message."""
    event = session.scalars(select(InboundEvent).where(InboundEvent.external_id == str(payload.get("message_id")))
                            ).first()
    customer = session.get(Customer, event.customer_id) if event is not None and event.customer_id else None
    return customer.wa_id or "" if customer is not None else ""


def make_fake_graph(app) -> FakeGraph:
    """The sandbox's fake Graph API: each accepted message kept in `sandbox_message` (the page's
    feed, which survives a restart), then status feedback posted to our own /webhook.

    The address is SANDBOX_URL from the configuration: a request's Host header must not
    choose where this server posts (that would let anyone aim it at another host).
    """
    config = app.config
    webhook_url = f"{config['SANDBOX_URL']}/webhook"

    def feedback(entry: dict) -> None:
        receipt = entry["payload"].get("status") == "read"
        with transaction(app.extensions["shopbot.sessions"]) as session:
            # A read receipt names only the customer's message: its sender is the chat it belongs to.
            recipient = _reader(session, entry["payload"]) if receipt else _recipient(entry["payload"])
            session.add(SandboxMessage(wamid=entry["wamid"], recipient=recipient, payload=entry["payload"]))
        if receipt:
            return  # Meta sends no statuses for a read receipt

        def post_statuses():
            for status, delay in FEEDBACK_DELAYS:
                time.sleep(delay)
                body = status_webhook(config, entry["wamid"], status, recipient)
                try:
                    httpx.post(webhook_url, content=body, timeout=10, headers={
                        "Content-Type": "application/json",
                        "X-Hub-Signature-256": sign(config["WHATSAPP_APP_SECRET"], body)})
                except httpx.HTTPError as exc:
                    log.warning("sandbox status feedback failed: %s", exc)

        threading.Thread(target=post_statuses, daemon=True).start()

    return FakeGraph(on_accept=feedback)


def register(app) -> None:
    """Mount the page, its API and the fake Graph API on `app`."""
    fake = make_fake_graph(app)
    app.extensions["shopbot.fake_graph"] = fake
    app.register_blueprint(bp)
    app.register_blueprint(fake.blueprint("sandbox_graph"), url_prefix="/sandbox/graph")


@bp.get("/")
def page():
    cfg = current_app.config
    content = current_app.extensions["shopbot.content"].current()
    config = {
        "app_secret": cfg["WHATSAPP_APP_SECRET"],
        "phone_number_id": cfg["WHATSAPP_PHONE_ID"],
        "display_phone_number": cfg["WHATSAPP_DISPLAY_NUMBER"],
        "webhook_url": "/webhook",
        "feed_url": "/sandbox/api/feed",
        "sign_url": "/sandbox/api/sign",
        "shop_name": content.shop.get("name", "shopbot"),
    }
    return render_template("sandbox.html", config=config)


@bp.get("/api/feed")
def feed():
    """Messages the bot sent to one customer, with their stored delivery status."""
    customer = request.args.get("customer", "")
    if not customer:
        return jsonify({"error": "customer is required"}), 400
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        sent = session.scalars(select(SandboxMessage).where(SandboxMessage.recipient == customer)
                               .order_by(SandboxMessage.id)).all()
        wamids = [m.wamid for m in sent]
        rows = {r.wamid: r for r in session.scalars(
            select(OutboundMessage).where(OutboundMessage.wamid.in_(wamids)))} if wamids else {}
    messages = []
    for m in sent:
        row = rows.get(m.wamid)
        messages.append({
            "seq": m.id, "wamid": m.wamid, "payload": _with_invoice_link(m.payload, row),
            "at": m.created_at.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "summary": outbound_line(row.body) if row else "",  # what staff read; the page's fallback
            "status": row.status if row else "sent",
            "error": row.error_title if row is not None and row.status in ("failed", "dead") else None,
        })
    return jsonify({"messages": messages})


@bp.post("/api/sign")
def sign_body():
    """Sign a body for pages served outside a secure context (no WebCrypto). Sandbox only."""
    return jsonify({"signature": sign(current_app.config["WHATSAPP_APP_SECRET"], request.get_data())})


def _with_invoice_link(payload: dict, row: OutboundMessage | None) -> dict:
    """An invoice was uploaded to the fake Graph API as bytes it does not keep: the page's document
    tile links to the invoice itself, so it opens the PDF as the customer's phone would."""
    invoice_id = row.body.get("invoice_id") if row is not None else None
    if not invoice_id or payload.get("type") != "document":
        return payload
    return {**payload, "document": {**payload.get("document", {}), "link": f"/sandbox/api/invoices/{invoice_id}.pdf"}}


@bp.get("/api/invoices/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id: int):
    """An invoice's PDF, as the customer received it (the sandbox is this machine's only)."""
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        invoice = session.get(Invoice, invoice_id)
        pdf = invoice.pdf if invoice is not None else None
    if pdf is None:
        return jsonify({"error": "no such invoice"}), 404
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="invoice-{invoice_id}.pdf"'})
