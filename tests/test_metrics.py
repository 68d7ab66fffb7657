"""`GET /metrics`: what real signed webhooks and real sends add up to, who may read it, and
the processes it adds up (gunicorn's workers, `shopbot worker`)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.errors import ConfigError
from bot.models import OutboundStatus

from . import payloads as p
from .conftest import REPO, free_port, make_config, signature
from .helpers import outbox_rows
from .processes import live_env, procfile_web, wait_until_up

TOKEN = "test-metrics-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIVE_KEYS = ("DATABASE_URL", "WHATSAPP_API_URL", "SHOP_DIR", "WHATSAPP_TOKEN", "WHATSAPP_PHONE_ID",
             "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "SECRET_KEY")


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, ((label, value), ...)): value} of one exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(figures: dict, name: str, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client) -> dict[tuple, float]:
    r = client.get("/metrics", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.mimetype == "text/plain"
    return samples(r.text)


@pytest.fixture
def app_config(app_config):
    return dict(app_config, METRICS_TOKEN=TOKEN)


def test_a_conversation_shows_in_ack_step_sends_outbox_and_circuit(app, client, post, sender, runner, fake_graph):
    """Counters of this process (a test shares them with the tests before it, so: differences), and the
    database's figures, which are the same as `shopbot status`'s."""
    before = scrape(client)
    post(p.text("34600000001", "hi"))
    sender.pump()  # sent
    fake_graph.fail_next(131026, message="Message undeliverable")
    post(p.text("34600000002", "hi"))
    sender.pump()  # the first reply is dead-lettered with Meta's 131026
    app.config["SEND_CIRCUIT_THRESHOLD"] = 1
    fake_graph.fail_with(500)
    post(p.text("34600000003", "hi"))
    sender.pump()  # 131000 with HTTP 500: the circuit opens and the reply waits
    after = scrape(client)

    def more(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert more("shopbot_webhook_ack_seconds_count", status="200") == 3
    assert more("shopbot_webhook_ack_seconds_bucket", status="200", le="+Inf") == 3
    assert more("shopbot_webhook_ack_seconds_sum", status="200") > 0
    assert more("shopbot_engine_step_seconds_count") == 3
    assert more("shopbot_sends_total", outcome="sent", code="") == len(fake_graph.accepted) > 0
    assert more("shopbot_sends_total", outcome="error", code="131026") == 1
    assert more("shopbot_sends_total", outcome="error", code="131000") == 1
    assert more("shopbot_send_seconds_count") == fake_graph.attempts

    figures = json.loads(runner.invoke(args=["status", "--json"]).output)
    assert {s: value(after, "shopbot_outbox_messages", status=s) for s in OutboundStatus} == {
        s: figures["outbox"].get(s, 0) for s in OutboundStatus}
    assert value(after, "shopbot_outbox_messages", status="dead") == 1
    assert value(after, "shopbot_outbox_messages", status="queued") >= 1
    assert value(after, "shopbot_outbox_oldest_pending_seconds") >= 0
    assert ("shopbot_outbox_oldest_pending_seconds", ()) in after
    assert {state: value(after, "shopbot_circuit_state", state=state)
            for state in ("closed", "paused", "open", "half-open")} == {
        "closed": 0, "paused": 0, "open": 1, "half-open": 0}
    assert value(after, "shopbot_circuit_consecutive_failures") == 1
    assert value(after, "shopbot_database_up") == 1
    assert value(after, "shopbot_last_send_timestamp_seconds") > time.time() - 60


def test_an_empty_outbox_shows_every_status_at_zero_and_the_circuit_closed(client):
    figures = scrape(client)
    assert {s: value(figures, "shopbot_outbox_messages", status=s) for s in OutboundStatus} == {
        s: 0 for s in OutboundStatus}
    assert value(figures, "shopbot_outbox_oldest_pending_seconds") == 0
    assert value(figures, "shopbot_circuit_state", state="closed") == 1
    assert ("shopbot_last_send_timestamp_seconds", ()) not in figures  # never sent: no time to show


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refused_webhooks_are_timed_by_status_and_the_handshake_is_not(client):
    before = scrape(client)
    raw = json.dumps(p.text("34600000001", "hi")).encode()
    assert client.post("/webhook", data=raw, headers={"Content-Type": "application/json"}).status_code == 401
    assert client.post("/webhook", data=raw, headers={"X-Hub-Signature-256": "sha256=00"}).status_code == 403
    client.get("/webhook", query_string={"hub.mode": "subscribe", "hub.verify_token": "test-verify-token",
                                         "hub.challenge": "1"})
    after = scrape(client)
    for status in ("401", "403"):
        assert (value(after, "shopbot_webhook_ack_seconds_count", status=status)
                - value(before, "shopbot_webhook_ack_seconds_count", status=status)) == 1
    assert (value(after, "shopbot_webhook_ack_seconds_count", status="200")
            == value(before, "shopbot_webhook_ack_seconds_count", status="200"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_live_metrics_need_the_bearer_token(client):
    r = client.get("/metrics")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "METRICS_TOKEN" in r.text and "shopbot_" not in r.text
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 200  # as /api: "Bearer " optional
    assert client.get("/metrics", headers={"Authorization": "Bearer tökén"}).status_code == 401  # not a 500
    r = client.get("/metrics", headers=AUTH)
    assert r.status_code == 200 and "# TYPE shopbot_webhook_ack_seconds histogram" in r.text
    assert r.headers["Cache-Control"] == "no-store"
    r = client.get("/metrics", headers=dict(AUTH, Accept="application/openmetrics-text; version=1.0.0"))
    assert r.mimetype == "application/openmetrics-text" and r.text.endswith("# EOF\n")


def test_live_without_a_token_metrics_are_not_configured_and_the_sandbox_serves_anyone(tmp_path, graph_server,
                                                                                      shop_dir):
    from .conftest import sandbox_config

    config = make_config(f"sqlite:///{tmp_path / 'm.db'}", graph_server[1], shop_dir)
    for cfg, expected in ((config, 503), (sandbox_config(config, "http://127.0.0.1:5000"), 200)):
        app = create_app(cfg)
        try:
            r = app.test_client().get("/metrics")
            assert r.status_code == expected
            if expected == 503:
                assert r.text == "metrics are not configured (set METRICS_TOKEN)\n"
        finally:
            app.extensions["shopbot.engine"].dispose()


def test_an_unreachable_database_still_gets_the_process_counters(tmp_path, graph_server, shop_dir):
    config = make_config(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}", graph_server[1], shop_dir)
    app = create_app(dict(config, METRICS_TOKEN=TOKEN))
    try:
        figures = scrape(app.test_client())
    finally:
        app.extensions["shopbot.engine"].dispose()
    assert value(figures, "shopbot_database_up") == 0
    assert not any(name.startswith(("shopbot_outbox", "shopbot_circuit")) for name, _ in figures)
    assert ("shopbot_engine_step_seconds_count", ()) in figures


def test_a_missing_multiprocess_directory_stops_start_up(tmp_path, graph_server, shop_dir):
    config = make_config(f"sqlite:///{tmp_path / 'm.db'}", graph_server[1], shop_dir)
    with pytest.raises(ConfigError, match=r"PROMETHEUS_MULTIPROC_DIR is '.*nowhere', which is not a directory"):
        create_app(dict(config, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "nowhere")))


# -- several processes ------------------------------------------------------------------------------------
TALKER = """
import json, sys
from bot.app import create_app
from bot.whatsapp.sender import Sender
from tests import payloads as p
from tests.conftest import signature

config, phone = json.loads(sys.argv[1]), sys.argv[2]
app = create_app(config)
raw = json.dumps(p.text(phone, "hi", wamid="wamid.talker." + phone)).encode()
r = app.test_client().post("/webhook", data=raw, headers={"X-Hub-Signature-256": signature(raw)})
assert r.status_code == 200, r.status_code
sender = Sender(app)
sender.pump()
sender.pool.shutdown()
app.extensions["shopbot.engine"].dispose()
"""


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_multiprocess_mode_adds_up_every_process_writing_to_the_directory(app_config, tmp_path, fake_graph):
    """Two processes (two gunicorn workers, or a web process and a `shopbot worker` on one host) each
    answer a webhook and send; a third, reading the same directory, shows both."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(shared))
    config = {k: v for k, v in app_config.items() if k != "TESTING"}
    for phone in ("34600000001", "34600000002"):
        done = subprocess.run([sys.executable, "-c", TALKER, json.dumps(config), phone], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert len(list(shared.glob("histogram_*.db"))) == 2  # one file per process
    scraper = create_app(dict(app_config, PROMETHEUS_MULTIPROC_DIR=str(shared)))
    try:
        figures = scrape(scraper.test_client())
    finally:
        scraper.extensions["shopbot.engine"].dispose()
    assert value(figures, "shopbot_webhook_ack_seconds_count", status="200") == 2
    assert value(figures, "shopbot_engine_step_seconds_count") == 2
    assert value(figures, "shopbot_sends_total", outcome="sent", code="") == len(fake_graph.accepted) >= 2
    assert value(figures, "shopbot_outbox_messages", status="sent") == len(fake_graph.accepted)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_gunicorn_with_the_procfile_command_adds_up_its_workers(app_config, fake_graph, tmp_path):
    """The Procfile's `web:` line, as a platform runs it from the repository root: gunicorn.conf.py gives
    the two workers a private multiprocess directory, so every scrape, whichever worker answers it,
    counts every webhook; the directory is gone when gunicorn stops."""
    log_path = tmp_path / "gunicorn.log"
    with procfile_web(app_config, log_path, METRICS_TOKEN=TOKEN) as base:
        [directory] = re.findall(r"metrics: PROMETHEUS_MULTIPROC_DIR=(\S+) \(private", log_path.read_text())
        posted = 0
        # gunicorn hands each new connection to whichever worker accepts it first: post until both
        # workers have answered at least one webhook (each keeps its histograms in a file of its own).
        while len(list(Path(directory).glob("histogram_*.db"))) < 2 and posted < 100:
            raw = json.dumps(p.text(f"346000{posted:05d}", "hi")).encode()
            assert httpx.post(f"{base}/webhook", content=raw, headers={"X-Hub-Signature-256": signature(raw)},
                              timeout=10).status_code == 200
            posted += 1
        assert len(list(Path(directory).glob("histogram_*.db"))) == 2
        counts = set()
        for _ in range(10):  # whichever worker answers the scrape
            r = httpx.get(f"{base}/metrics", headers=AUTH, timeout=10)
            assert r.status_code == 200, r.text
            counts.add(value(samples(r.text), "shopbot_webhook_ack_seconds_count", status="200"))
        assert counts == {float(posted)}
        assert httpx.get(f"{base}/metrics", timeout=10).status_code == 401
    output = log_path.read_text()
    assert Path(directory).name.startswith("shopbot-metrics-")
    assert len(re.findall(r"Booting worker with pid", output)) == 2, output
    assert not Path(directory).exists(), "the private directory outlived gunicorn"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_worker_serves_its_own_metrics_on_metrics_port(app_config, fake_graph, sign):
    """A `shopbot worker` on a host of its own: its counters at METRICS_PORT, behind the token; the
    database's figures stay with the web's /metrics, so they are scraped once. (With LOG_FORMAT=json,
    as a worker shipping its logs would run.)"""
    port = free_port()
    env = live_env(app_config, METRICS_PORT=str(port), METRICS_TOKEN=TOKEN, LOG_FORMAT="json")
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=app_config["SHOP_DIR"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    web_app = create_app(app_config)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_until_up(url, worker)
        raw = json.dumps(p.text("34600111222", "hi")).encode()
        assert web_app.test_client().post("/webhook", data=raw, headers=sign(raw)).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the worker counts a send just after the fake answers it
            r = httpx.get(url, headers=AUTH, timeout=5)
            sent = value(samples(r.text), "shopbot_sends_total", outcome="sent", code="")
            rows = outbox_rows(web_app)
            if rows and all(row.status == "sent" for row in rows) and sent == len(rows):
                break
            time.sleep(0.1)
        assert httpx.get(url, timeout=5).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/other", headers=AUTH, timeout=5).status_code == 404
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode()
        web_app.extensions["shopbot.engine"].dispose()
    assert r.status_code == 200, output
    figures = samples(r.text)
    assert value(figures, "shopbot_sends_total", outcome="sent", code="") == len(fake_graph.accepted), output
    assert value(figures, "shopbot_send_seconds_count") == len(fake_graph.accepted)
    assert not any(name.startswith(("shopbot_outbox", "shopbot_circuit")) for name, _ in figures)
    messages = [json.loads(line)["message"] for line in output.splitlines()]  # LOG_FORMAT=json: every line
    assert f"metrics: this worker's counters at http://127.0.0.1:{port}/metrics" in messages
    assert "shopbot worker: sending" in messages
    assert worker.returncode == 0, output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_refuses_to_publish_its_metrics_without_a_token(app, runner):
    app.config.update(METRICS_PORT=free_port(), METRICS_ADDR="0.0.0.0", METRICS_TOKEN=None)
    result = runner.invoke(args=["worker"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == ("METRICS_ADDR=0.0.0.0 would publish the worker's metrics without a token: "
                                     "set METRICS_TOKEN, or listen on 127.0.0.1")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_says_when_its_metrics_port_is_taken(app, runner):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app.config.update(METRICS_PORT=port)
        result = runner.invoke(args=["worker"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == (f"cannot serve metrics on 127.0.0.1:{port} (METRICS_ADDR, METRICS_PORT): "
                                     "Address already in use")
