"""The design's floor for bench/throughput.py: an echo bot built the way shopbot is, and no more.

shopbot's house rules (ARCHITECTURE.md) fix a shape: every update is stored before it is
acknowledged, once per WhatsApp id; a reply is an outbox row written in the same transaction;
only a separate sender process calls the Graph API; status webhooks move the sent row on. This
bot keeps that shape at its cheapest, to show what the shape itself costs beside the pywa echo
bot, which sends inside the request and stores nothing:

- web (`gunicorn --chdir bench outbox_echo:app`): checks the signature; per customer message one
  transaction: the event row (`ON CONFLICT DO NOTHING` on its id: a redelivery is dropped) and
  the echo's outbox row, then NOTIFY; per status one autocommit UPDATE of the row it names (its
  effect is what is stored: shopbot also keeps each status as an event row).
- sender (`python bench/outbox_echo.py sender`): LISTENs, claims queued rows (FOR UPDATE SKIP
  LOCKED), sends them from 16 threads with httpx as pywa does, records the wamids in one UPDATE.

No ORM, prepared statements, one connection per thread. None of shopbot's features: no
conversation state, catalog or cart, no read receipts, per-customer order or pacing, no retries,
no delivery history. Configured like bench/pywa_echo.py (ECHO_GRAPH_URL, ECHO_APP_SECRET,
ECHO_PHONE_ID) plus ECHO_STORE_DSN, the PostgreSQL database (`SCHEMA` made by the benchmark).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
from flask import Flask, request
from psycopg.types.json import Jsonb

API_VERSION = "23.0"
CHANNEL = "echo_outbox"
SCHEMA = """
CREATE TABLE echo_event (id bigserial PRIMARY KEY, wamid text NOT NULL UNIQUE, body jsonb NOT NULL,
                         received_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE echo_outbox (id bigserial PRIMARY KEY, recipient text NOT NULL, body text NOT NULL,
                          status text NOT NULL DEFAULT 'queued', wamid text UNIQUE,
                          created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX echo_outbox_queued ON echo_outbox (id) WHERE status = 'queued';
"""
STORE_DSN = os.environ.get("ECHO_STORE_DSN", "")
SECRET = os.environ.get("ECHO_APP_SECRET", "").encode()

app = Flask(__name__)
_local = threading.local()


def _connection() -> psycopg.Connection:
    """This thread's autocommit connection: gunicorn's threads each keep one, as a pool would."""
    if getattr(_local, "conn", None) is None:
        _local.conn = psycopg.connect(STORE_DSN, autocommit=True)
    return _local.conn


def echo_text(message: dict) -> str:
    """What the echo says: the text typed, or the title of the button or list row tapped."""
    if message.get("type") == "text":
        return f"You said: {message['text']['body']}"
    reply = message.get("interactive", {}).get("button_reply") or message.get("interactive", {}).get("list_reply")
    return f"You tapped: {reply['title']}" if reply else "You sent something"


@app.post("/webhook")
def webhook():
    raw = request.get_data()
    expected = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature-256", ""), expected):
        return "bad signature", 401
    conn = _connection()
    for entry in json.loads(raw).get("entry", ()):
        for change in entry.get("changes", ()):
            value = change.get("value", {})
            # reply to the customer's business-scoped user id (BSUID) where Meta gives one, as pywa does
            users = {c.get("wa_id"): c.get("user_id") for c in value.get("contacts", ())}
            for message in value.get("messages", ()):
                with conn.transaction():
                    new = conn.execute("INSERT INTO echo_event (wamid, body) VALUES (%s, %s)"
                                       " ON CONFLICT DO NOTHING RETURNING id", (message["id"], Jsonb(message)),
                                       prepare=True).fetchone()
                    if new:
                        conn.execute("INSERT INTO echo_outbox (recipient, body) VALUES (%s, %s)",
                                     (users.get(message["from"]) or message["from"], echo_text(message)), prepare=True)
                        conn.execute(f"NOTIFY {CHANNEL}")
            for status in value.get("statuses", ()):
                conn.execute("UPDATE echo_outbox SET status = %s WHERE wamid = %s", (status["status"], status["id"]),
                             prepare=True)
    return "", 200


@app.get("/healthz")
def health():
    return {"status": "ok"}


CLAIM = """UPDATE echo_outbox SET status = 'sending' WHERE id IN (
    SELECT id FROM echo_outbox WHERE status = 'queued' ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED)
    RETURNING id, recipient, body"""
RECORD = """UPDATE echo_outbox o SET status = 'sent', wamid = v.wamid
    FROM unnest(%s::bigint[], %s::text[]) AS v(id, wamid) WHERE o.id = v.id AND o.status = 'sending'"""


def sender() -> None:
    """Claim, send, record, until killed; sleeps on LISTEN when nothing is queued."""
    client = httpx.Client(base_url=f"{os.environ['ECHO_GRAPH_URL'].rstrip('/')}/v{API_VERSION}", timeout=20.0,
                          headers={"Authorization": "Bearer bench-token"},
                          limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))
    phone_id = os.environ.get("ECHO_PHONE_ID", "1122334455667")

    def send(row: tuple[int, str, str]) -> str:
        answer = client.post(f"/{phone_id}/messages", json={
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": row[1], "type": "text",
            "text": {"body": row[2]}})
        answer.raise_for_status()
        return answer.json()["messages"][0]["id"]

    listen = psycopg.connect(STORE_DSN, autocommit=True)
    listen.execute(f"LISTEN {CHANNEL}")
    work = psycopg.connect(STORE_DSN, autocommit=True)
    threads = ThreadPoolExecutor(16)
    print("outbox echo sender: sending", flush=True)
    while True:
        rows = work.execute(CLAIM, prepare=True).fetchall()
        if not rows:
            for _ in listen.notifies(timeout=1.0, stop_after=1):
                pass
            continue
        wamids = list(threads.map(send, rows))
        work.execute(RECORD, ([r[0] for r in rows], wamids), prepare=True)


if __name__ == "__main__" and sys.argv[1:] == ["sender"]:
    sender()
