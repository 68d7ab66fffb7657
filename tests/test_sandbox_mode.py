"""Sandbox mode is explicit: `shopbot run` or SHOPBOT_SANDBOX=1, never a missing token. Outside it
the sandbox's pages and public secrets do not exist; inside it, its fake Graph API posts status
feedback only to the app's own configured address, whatever Host a request names."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from flask import Flask, request
from sqlalchemy import select

from bot.app import create_app
from bot.cli import cli
from bot.commerce.payments import signature
from bot.config import SETTINGS
from bot.db import make_engine, make_sessionmaker, transaction
from bot.models import InboundEvent
from bot.sandbox.fake_graph import LocalServer

from . import payloads
from .conftest import REPO, free_port, sandbox_config


def _close(app) -> None:
    app.extensions["shopbot.whatsapp"].api._session.close()
    app.extensions["shopbot.engine"].dispose()


def test_the_sandbox_pages_do_not_exist_live(client):
    """A live app (the test configuration) has no page that signs bodies or shows replies."""
    raw = b'{"object": "whatsapp_business_account", "entry": []}'
    assert client.post("/sandbox/api/sign", data=raw).status_code == 404
    assert client.get("/sandbox/api/feed?customer=34600000001").status_code == 404
    assert client.get("/sandbox/").status_code == 404
    assert client.post("/sandbox/graph/v23.0/1122334455667/messages", json={"to": "1"}).status_code == 404


def test_live_without_an_api_token_or_payment_secret_switches_those_endpoints_off(app_config):
    """No public default outside the sandbox: the sandbox's token and secret open nothing."""
    config = {k: v for k, v in app_config.items() if k not in ("SHOP_API_TOKEN", "PAYMENT_WEBHOOK_SECRET")}
    app = create_app(config, environ={})
    client = app.test_client()
    r = client.post("/api/orders", json={"items": [{"sku": "TEE-RED-M"}]},
                    headers={"Authorization": "Bearer sandbox-api-token"})
    assert r.status_code == 503 and "SHOP_API_TOKEN" in r.json["error"]
    assert client.get("/api/orders/LL-0001", headers={"Authorization": "Bearer "}).status_code == 503
    raw = json.dumps({"reference": "LL-0001", "payment_id": "pi_1", "amount": "1.00", "currency": "EUR"}).encode()
    r = client.post("/api/payments/callback", data=raw, headers={
        "Content-Type": "application/json", "X-Signature": signature("sandbox-payment-secret", raw)})
    assert r.status_code == 503 and "PAYMENT_WEBHOOK_SECRET" in r.json["error"]
    _close(app)


class Recorder:
    """A second local HTTP server standing in for another host: records every request it gets."""

    def __init__(self):
        self.requests: list[str] = []
        web = Flask("elsewhere")

        @web.route("/", defaults={"path": ""}, methods=["GET", "POST"])
        @web.route("/<path:path>", methods=["GET", "POST"])
        def anything(path):
            self.requests.append(f"{request.method} /{path}")
            return "ok"

        self.server = LocalServer(web)


def test_status_feedback_goes_to_the_configured_address_not_to_the_requests_host(live_sandbox, app_config):
    """The fake Graph API used to post its status webhooks to whatever Host the send named (SSRF)."""
    elsewhere = Recorder()
    try:
        evil_host = elsewhere.server.url.removeprefix("http://")  # `evil.example`, as a host we can watch
        r = httpx.post(f"{live_sandbox}/sandbox/graph/v23.0/1122334455667/messages",
                       json={"messaging_product": "whatsapp", "to": "34600000001", "type": "text",
                             "text": {"body": "hi"}}, headers={"Host": evil_host})
        assert r.status_code == 200
        wamid = r.json()["messages"][0]["id"]
        engine = make_engine(app_config["DATABASE_URL"])
        expected = {f"status:{wamid}:sent", f"status:{wamid}:delivered"}
        deadline = time.monotonic() + 10
        while True:  # the statuses arrive at our own /webhook, signed, after their delays
            with transaction(make_sessionmaker(engine)) as session:
                stored = set(session.scalars(select(InboundEvent.external_id)
                                             .where(InboundEvent.external_id.in_(expected))))
            if stored == expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        engine.dispose()
        assert elsewhere.requests == []
        assert stored == expected
    finally:
        elsewhere.server.close()


def _empty_environment(monkeypatch) -> None:
    for name in [*SETTINGS, "FLASK_APP"]:
        monkeypatch.delenv(name, raising=False)


def test_shopbot_run_needs_no_configuration_and_serves_the_sandbox_where_it_binds(shop_dir, monkeypatch):
    """The README's `.venv/bin/shopbot run`: SQLite, the sample shop and the sandbox, nothing to set."""
    _empty_environment(monkeypatch)
    monkeypatch.chdir(shop_dir)
    served = []
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda host, port, app, **kw: served.append((host, port, app)))
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["run", "--port", "5123"])
    assert result.exit_code == 0, result.output
    assert " * shopbot (sandbox) on http://127.0.0.1:5123/sandbox" in result.output
    (_host, _port, app), = served
    assert app.config["SANDBOX"] is True
    assert app.config["SANDBOX_URL"] == "http://127.0.0.1:5123"
    assert app.config["WHATSAPP_API_URL"] == "http://127.0.0.1:5123/sandbox/graph"
    assert app.config["DATABASE_URL"] == f"sqlite:///{shop_dir / 'instance' / 'shopbot.db'}"
    assert app.test_client().get("/sandbox/").status_code == 200
    _close(app)


def test_shopbot_worker_without_configuration_refuses_with_one_message(shop_dir):
    """`shopbot worker` (the Procfile's) used to start a sandbox sender silently."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != "FLASK_APP"}
    env["PYTHONPATH"] = str(REPO)
    try:
        done = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "worker"], cwd=shop_dir,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("shopbot worker started without any configuration")
    assert done.returncode == 1
    assert done.stderr.startswith("Error: shopbot cannot start live: set WHATSAPP_TOKEN, WHATSAPP_PHONE_ID, "
                                  "WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, DATABASE_URL, SECRET_KEY")
    assert "Traceback" not in done.stderr


def test_sandbox_pages_exist_when_switched_on(app_config):
    port = free_port()
    app = create_app(sandbox_config(app_config, f"http://127.0.0.1:{port}"), environ={})
    client = app.test_client()
    assert client.get("/sandbox/").status_code == 200
    assert client.post("/sandbox/api/sign", data=b"{}").json["signature"].startswith("sha256=")
    _close(app)




def _sandbox_on(app_config, port: int):
    """`shopbot run` on `port`: the sandbox app, its server and its sender thread."""
    from bot.whatsapp.sender import Sender

    app = create_app(sandbox_config(app_config, f"http://127.0.0.1:{port}"))
    server = LocalServer(app, port)
    sender = Sender(app)
    app.extensions["shopbot.sender"] = sender
    sender.start()
    return app, server, sender


def _stop(app, server, sender) -> None:
    sender.stop()
    server.close()
    app.extensions["shopbot.engine"].dispose()


def test_the_sandbox_feed_survives_a_restart_and_its_numbers_go_on(app_config):
    """Issue 15, item 9: after `shopbot run` restarts, the page still shows the bot's replies, and a
    tab left open keeps receiving new ones (the feed's numbers do not start again at 1)."""
    from bot.sandbox import sign

    from . import payloads as p

    port = free_port()

    def say(app, words: str) -> None:
        raw = json.dumps(p.text("34600111222", words)).encode()
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": sign(app.config["WHATSAPP_APP_SECRET"], raw)}
        assert httpx.post(f"http://127.0.0.1:{port}/webhook", content=raw, headers=headers).status_code == 200

    def replies(at_least: int) -> list[dict]:
        deadline = time.monotonic() + 10
        while True:
            feed = httpx.get(f"http://127.0.0.1:{port}/sandbox/api/feed", params={"customer": "34600111222"}).json()
            found = [m for m in feed["messages"] if m["payload"].get("type")]
            if len(found) >= at_least or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    running = _sandbox_on(app_config, port)
    try:
        say(running[0], "hi")
        before = replies(1)
    finally:
        _stop(*running)
    assert before, "no reply before the restart"
    running = _sandbox_on(app_config, port)  # `shopbot run` again, on the same database
    try:
        assert [m["wamid"] for m in replies(len(before))] == [m["wamid"] for m in before]
        say(running[0], "menu")
        after = replies(len(before) + 1)
        assert len(after) > len(before)
        assert min(m["seq"] for m in after[len(before):]) > max(m["seq"] for m in before)
    finally:
        _stop(*running)


# -- read receipts (issue 15, item 9: customer bubbles turn read) ------------------------------------

def test_the_bot_marks_each_customer_message_read_after_its_replies(app, post, sender, fake_graph):
    post(payloads.text("34600111222", "hi", wamid="wamid.customer.hi"))
    sender.pump()
    assert [r["payload"] for r in fake_graph.reads] == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.customer.hi"}]
    assert fake_graph.reads[0]["seq"] > fake_graph.messages_to("34600111222")[-1]["seq"]  # replies go first


def test_a_message_waiting_for_a_person_is_left_unread_for_them(app, post, sender, fake_graph):
    post(payloads.text("34600111222", "I want to talk to a person", wamid="wamid.customer.person"))
    sender.pump()
    post(payloads.text("34600111222", "hello? anyone?", wamid="wamid.customer.waiting"))
    sender.pump()
    assert [r["payload"]["message_id"] for r in fake_graph.reads] == []  # a person from the team reads them
