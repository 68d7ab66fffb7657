"""Logs: LOG_FORMAT=json gives one JSON object per line, and every line logged while an update or
an outbox row is handled carries its WhatsApp id (and the row's id); no bodies, no phone numbers."""
from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys

import httpx
import pytest

from bot import logs
from bot.conversation import engine
from bot.whatsapp import delivery_status
from bot.whatsapp.updates import message_id

from . import payloads as p
from .conftest import REPO, signature
from .helpers import outbox_rows
from .processes import procfile_web

SAM = "34600111222"


@pytest.fixture
def json_lines(caplog):
    """Every line the app logs from here on, as the JSON handler writes it (parsed back)."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = logs.make_handler("json", stream)
    logging.getLogger().addHandler(handler)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    logging.getLogger().removeHandler(handler)


def test_every_line_of_an_update_and_of_its_sends_carries_its_ids(app, post, sender, json_lines):
    post(p.text(SAM, "hi", wamid="wamid.logs.hi"))
    post(p.text(SAM, "talk to a person", wamid="wamid.logs.handoff"))
    sender.pump()
    logging.getLogger("tests").info("after the update")
    lines = json_lines()
    [handoff] = [line for line in lines if line["logger"] == "bot.staff.handoffs"]
    assert re.fullmatch(r"customer \d+ handed to a person \(\w+\)", handoff["message"])
    assert handoff["wamid"] == "wamid.logs.handoff" and "outbox_id" not in handoff
    rows = {row.id: row for row in outbox_rows(app)}
    sent = [line for line in lines if re.fullmatch(r"outbox \d+: sent \S+", line["message"])]
    assert len(sent) == len(rows) >= 2
    for line in sent:  # the pool threads send one row after another: each line has its own row's ids
        row = rows[line["outbox_id"]]
        assert line["message"] == f"outbox {row.id}: sent {row.wamid}" and line["wamid"] == row.wamid
    assert set(lines[-1]) == {"time", "level", "logger", "message"}  # nothing carried over after the update
    assert lines[-1]["message"] == "after the update" and lines[-1]["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[-1]["time"])
    assert logs.current() == {}


def test_a_failed_send_is_logged_with_its_row_and_metas_code(app, post, sender, fake_graph, json_lines):
    fake_graph.fail_next(131026, message="Message undeliverable")
    post(p.text(SAM, "hi"))
    sender.pump()
    [dead] = [line for line in json_lines() if "dead-lettered" in line["message"]]
    first = outbox_rows(app)[0]
    assert dead["level"] == "ERROR" and dead["outbox_id"] == first.id and "wamid" not in dead
    assert "131026" in dead["message"]


def test_an_update_that_fails_is_logged_with_its_wamid_and_the_traceback(app, post, monkeypatch, json_lines):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "step", broken)
    post(p.text(SAM, "hi", wamid="wamid.logs.broken"))
    [failed] = [line for line in json_lines() if "handling failed" in line["message"]]
    assert failed["level"] == "ERROR" and failed["wamid"] == "wamid.logs.broken"
    assert failed["exception"].startswith("Traceback (most recent call last):")
    assert failed["exception"].endswith("RuntimeError: boom")


def test_a_status_update_carries_the_wamid_of_the_message_it_is_about(app, post, sender, monkeypatch, json_lines):
    post(p.text(SAM, "hi"))
    sender.pump()
    wamid = outbox_rows(app)[0].wamid
    real = delivery_status.advance_params

    def advance_params(*args, **kwargs):
        logging.getLogger("bot.whatsapp.outbox").info("applying a status")
        return real(*args, **kwargs)

    monkeypatch.setattr(delivery_status, "advance_params", advance_params)
    post(p.status(wamid, "delivered"))
    [line] = [line for line in json_lines() if line["message"] == "applying a status"]
    assert line["wamid"] == wamid
    webhook = [line for line in json_lines() if line["message"].startswith("webhook: 1 updates")]
    assert webhook[-1]["wamid"] == wamid  # the webhook's own line too
    assert message_id(f"status:{wamid}:delivered") == wamid and message_id("wamid.X") == "wamid.X"


def test_the_text_format_stays_as_it_was():
    stream = io.StringIO()
    handler = logs.make_handler("text", stream)
    record = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "outbox %s: sent", (7,), None)
    handler.handle(record)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO bot\.x: outbox 7: sent\n", stream.getvalue())


def test_setup_installs_one_root_handler_and_leaves_someone_elses_alone():
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        root.handlers = []
        logs.setup("json")
        logs.setup("json")  # a second app in the process: still one handler
        [ours] = root.handlers
        assert isinstance(ours.formatter, logs.JsonFormatter) and root.level == logging.INFO
        logs.setup("text")
        [ours] = root.handlers
        assert not isinstance(ours.formatter, logs.JsonFormatter)
        theirs = logging.StreamHandler(io.StringIO())
        root.handlers = [theirs]
        logs.setup("json")
        assert root.handlers == [theirs]
    finally:
        root.handlers, root.level = saved, level


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_log_format_json_makes_every_line_json_with_no_body_or_phone_number(app_config):
    """The whole process as configured by the environment: `LOG_FORMAT=json`, a conversation, its sends."""
    script = """
import json, sys
from bot.app import create_app
from bot.whatsapp.sender import Sender
from tests import payloads as p
from tests.conftest import signature

app = create_app(json.loads(sys.argv[1]))
for wamid, text in (("wamid.json.1", "my card is 4111 1111 1111 1111"), ("wamid.json.2", "talk to a person")):
    raw = json.dumps(p.text("34600111222", text, wamid=wamid)).encode()
    assert app.test_client().post("/webhook", data=raw,
                                  headers={"X-Hub-Signature-256": signature(raw)}).status_code == 200
sender = Sender(app)
sender.pump()
sender.pool.shutdown()
"""
    config = {k: v for k, v in app_config.items() if k != "TESTING"}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(config)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, LOG_FORMAT="json"))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]  # raises on a line that is not JSON
    assert lines
    [handoff] = [line for line in lines if line["logger"] == "bot.staff.handoffs"]
    assert handoff["wamid"] == "wamid.json.2", done.stderr
    assert [line for line in lines if line["message"].startswith("outbox ") and "wamid" in line and "outbox_id" in line]
    for forbidden in (SAM, "talk to a person", "my card", "4111", "Sam Rivera"):
        assert forbidden not in done.stderr


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_under_gunicorn_log_format_json_makes_gunicorns_own_lines_json_too(app_config, tmp_path):
    """The Procfile's web line with LOG_FORMAT=json: gunicorn's start-up and worker lines, and the
    app's, all parse; the update's lines carry its wamid."""
    log_path = tmp_path / "gunicorn.log"
    with procfile_web(app_config, log_path, LOG_FORMAT="json") as base:
        raw = json.dumps(p.text(SAM, "talk to a person", wamid="wamid.gunicorn.1")).encode()
        assert httpx.post(f"{base}/webhook", content=raw, headers={"X-Hub-Signature-256": signature(raw)},
                          timeout=10).status_code == 200
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]  # raises on a line that is not JSON
    loggers = {line["logger"] for line in lines}
    assert {"gunicorn.error", "bot.staff.handoffs", "bot.whatsapp.webhook"} <= loggers
    assert any(line["message"].startswith("Booting worker with pid") for line in lines)
    [handoff] = [line for line in lines if line["logger"] == "bot.staff.handoffs"]
    assert handoff["wamid"] == "wamid.gunicorn.1"
