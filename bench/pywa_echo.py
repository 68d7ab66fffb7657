"""The baseline for bench/sender_throughput.py and bench/throughput.py: a minimal pywa echo bot that
sends inside the webhook request, served by gunicorn (`gunicorn --chdir bench pywa_echo:app`).

It answers every customer message with one text: typed text, and taps on reply buttons and list
rows (pywa hands those to callback handlers, not to `on_message`). Status webhooks are parsed and
acknowledged, and need no handler.

Configured by the environment: ECHO_GRAPH_URL (the fake Graph API), ECHO_APP_SECRET
(webhook signatures are validated, like shopbot does) and ECHO_PHONE_ID.
"""
from __future__ import annotations

import os

import httpx
from flask import Flask
from pywa import WhatsApp, types

API_VERSION = "23.0"

app = Flask(__name__)
session = httpx.Client(timeout=20.0, limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))
wa = WhatsApp(
    phone_id=os.environ.get("ECHO_PHONE_ID", "1122334455667"),
    token="bench-token",
    session=session,
    server=app,
    webhook_endpoint="/webhook",
    verify_token="bench-verify-token",
    app_secret=os.environ["ECHO_APP_SECRET"],
    validate_updates=True,
    api_version=API_VERSION,
)
# pywa hard-codes graph.facebook.com; point it at the fake Graph API (as bot/whatsapp.py does).
session.base_url = f"{os.environ['ECHO_GRAPH_URL'].rstrip('/')}/v{API_VERSION}"


@wa.on_message
def echo(_: WhatsApp, msg: types.Message) -> None:
    msg.reply_text(f"You said: {msg.text}")


@wa.on_callback_button
def echo_button(_: WhatsApp, btn: types.CallbackButton) -> None:
    btn.reply_text(f"You tapped: {btn.title}")


@wa.on_callback_selection
def echo_row(_: WhatsApp, sel: types.CallbackSelection) -> None:
    sel.reply_text(f"You picked: {sel.title}")


@app.get("/healthz")
def health():
    return {"status": "ok"}
