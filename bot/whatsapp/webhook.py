"""`/webhook`: verify, split, store, then hand each new event to `inbound`.

The signature is checked over the raw bytes before anything is parsed or
stored. Every update is stored before the 200; no Graph API call happens on
this path, so Meta gets its answer fast and never has to retry.
"""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, current_app, request
from pywa.utils import webhook_updates_validator

from bot import logs
from bot.whatsapp import inbound, webhook_body
from bot.whatsapp.updates import invalid, message_id, split

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


@bp.get("/webhook")
def verify():
    """Meta's subscription handshake: echo `hub.challenge` for the right token only."""
    token = request.args.get("hub.verify_token", "")
    expected = current_app.config["WHATSAPP_VERIFY_TOKEN"]
    if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), expected.encode()):
        return Response(request.args.get("hub.challenge", ""), mimetype="text/plain")
    abort(403)


def _read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        abort(413)
    return raw


@bp.post("/webhook")
@logs.scoped
def receive():
    """Store every update in the body, then handle the new ones; always 200 once signed."""
    raw = _read_body(current_app.config["MAX_WEBHOOK_BYTES"])
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        log.warning("webhook without %s refused", SIGNATURE_HEADER)
        abort(401)
    # A header that is not ASCII cannot be a hex digest (and hmac.compare_digest raises on it).
    if not signature.isascii() or not webhook_updates_validator(current_app.config["WHATSAPP_APP_SECRET"], raw,
                                                                signature):
        log.warning("webhook with a wrong signature refused")
        abort(403)
    received_at = inbound.now()
    try:
        updates = split(webhook_body.parse(raw))
    except ValueError as exc:  # also UnicodeDecodeError
        # Stored as failed and answered 200: the same bytes would fail again on every retry.
        log.error("signed webhook body is not JSON (%s); stored as invalid", exc)
        updates = [invalid(raw, str(exc))]
    if len(updates) == 1:  # the usual body: its lines, this view's included, carry the wamid
        logs.note(wamid=message_id(updates[0].external_id))
    for u in updates:
        if u.problem:
            log.warning("[%s] stored as failed: %s", u.external_id, u.problem)
    handled = inbound.receive(current_app._get_current_object(), updates, received_at)
    log.info("webhook: %d updates, %d new", len(updates), handled)
    return "", 200

