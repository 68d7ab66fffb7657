"""Operations: `/healthz` (alive), `/readyz` (able to work) and `shopbot status`."""
from __future__ import annotations

import json

from bot import schema
from bot.app import create_app
from bot.db import make_engine, transaction
from bot.models import EventKind, EventStatus, InboundEvent

from . import payloads as p
from .conftest import make_config


def test_readyz_reports_each_check(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ready" and body["failed"] == []
    assert {name: c["ok"] for name, c in body["checks"].items()} == {"database": True, "migrations": True,
                                                                      "content": True}
    assert body["checks"]["migrations"]["detail"] == f"at head ({schema.head()})"
    assert client.get("/healthz").get_json() == {"status": "ok"}


def _app_on(url, graph_server, shop_dir):
    return create_app(make_config(url, graph_server[1], shop_dir))


def test_readyz_is_503_on_a_database_one_migration_behind(tmp_path, graph_server, shop_dir):
    from alembic.script import ScriptDirectory

    behind = ScriptDirectory(str(schema.MIGRATIONS)).get_revision(schema.head()).down_revision
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(url)
    schema.upgrade(engine, behind)
    engine.dispose()
    app = _app_on(url, graph_server, shop_dir)
    try:
        r = app.test_client().get("/readyz")
        assert r.status_code == 503
        body = r.get_json()
        assert body["status"] == "not ready" and body["failed"] == ["migrations"]
        assert body["checks"]["migrations"]["detail"] == (
            f"database at {behind}, code expects {schema.head()}: run `shopbot db upgrade`")
        assert app.test_client().get("/healthz").status_code == 200  # alive all the same
    finally:
        app.extensions["shopbot.engine"].dispose()


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path, graph_server, shop_dir):
    app = _app_on(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}", graph_server, shop_dir)
    try:
        r = app.test_client().get("/readyz")
        assert r.status_code == 503
        assert r.get_json()["failed"] == ["database", "migrations"]
        assert r.get_json()["checks"]["database"]["detail"].startswith("unreachable: ")
    finally:
        app.extensions["shopbot.engine"].dispose()


def test_status_shows_depth_dead_letters_failed_events_last_send_and_the_circuit(app, post, runner, sender,
                                                                                 fake_graph):
    empty = runner.invoke(args=["status"])
    assert empty.exit_code == 0
    assert "outbox: empty" in empty.output and "last successful send: never" in empty.output
    assert "circuit: closed (sending)" in empty.output

    post(p.text("34600000001", "hi"))
    sender.pump()  # sent
    fake_graph.fail_next(131026, message="Message undeliverable")
    post(p.text("34600000002", "hi"))
    sender.pump()  # dead
    app.config["SEND_CIRCUIT_THRESHOLD"] = 1
    fake_graph.fail_with(500)
    post(p.text("34600000003", "hi"))
    sender.pump()  # the API is down: the circuit opens, the reply waits
    with transaction(app.extensions["shopbot.sessions"]) as s:
        s.add(InboundEvent(external_id="wamid.broken", kind=EventKind.MESSAGE, payload={},
                           status=EventStatus.FAILED, error="boom"))

    out = runner.invoke(args=["status"]).output
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["outbox"] == "dead 1, queued 1, sent 1"
    assert lines["oldest pending reply"].endswith(" s old")
    assert lines["dead letters"] == "1 (shopbot outbox list --dead; shopbot outbox retry)"
    assert lines["failed inbound events"] == "1 (shopbot events list; shopbot events retry)"
    assert lines["last successful send"].endswith(" s ago)")
    assert lines["circuit"].startswith("OPEN: sending paused until ")

    figures = json.loads(runner.invoke(args=["status", "--json"]).output)
    assert figures["outbox"] == {"dead": 1, "queued": 1, "sent": 1}
    assert figures["dead_letters"] == 1 and figures["failed_events"] == 1
    assert figures["oldest_pending_seconds"] >= 0 and figures["last_sent_at"]
    assert figures["circuit"]["state"] == "open" and figures["circuit"]["open"] is True
    assert figures["circuit"]["until"] and "Service temporarily unavailable" in figures["circuit"]["reason"]
