"""Several web processes and senders sharing one database."""
from __future__ import annotations

import json
import threading
import time

from bot.app import create_app
from bot.whatsapp.sender import Sender

from . import payloads as p
from .conftest import make_config, truncate
from .helpers import outbox_rows


def test_two_senders_share_the_work_without_doubles_and_keep_order(app, app_config, post, fake_graph):
    other_app = create_app(app_config)  # another worker process, as far as the database can tell
    first, second = Sender(app), Sender(other_app)
    fake_graph.latency = 0.02
    customers = [f"3460000{i:04d}" for i in range(6)]
    for c in customers:
        post(p.text(c, "hi"))
        post(p.text(c, "menu"))
        post(p.text(c, "gibberish"))
    threads = [threading.Thread(target=s.pump) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first.pump(), second.pump()
    assert len(fake_graph.accepted) == 18
    assert len({m["wamid"] for m in fake_graph.accepted}) == 18
    rows = outbox_rows(app)
    assert all(r.status == "sent" for r in rows)
    for c in customers:
        theirs = [m for m in fake_graph.accepted if m["payload"]["to"] == c]
        assert [m["wamid"] for m in theirs] == [r.wamid for r in rows if r.recipient == c]
    for s in (first, second):
        s.pool.shutdown()
    other_app.extensions["shopbot.engine"].dispose()


def test_a_separate_worker_is_woken_by_postgres_notify(postgres_url, graph_server, shop_dir, sign):
    """The worker process shares no memory with the web process: NOTIFY wakes it at once.
    (LISTEN/NOTIFY is PostgreSQL's; on SQLite the sender is a thread of the one process.)"""
    truncate(postgres_url)
    fake_graph = graph_server[0]
    fake_graph.reset()
    app_config = make_config(postgres_url, graph_server[1], shop_dir)
    web_app = create_app(app_config)
    client = web_app.test_client()

    def post(payload):
        raw = json.dumps(payload).encode()
        return client.post("/webhook", data=raw, headers=sign(raw))

    worker_app = create_app(app_config)
    worker = Sender(worker_app)
    worker.start()
    try:
        time.sleep(0.5)  # the worker is now idle, waiting for a wake-up
        started = time.monotonic()
        post(p.text("34600111222", "hi"))
        fake_graph.wait_for(1, timeout=5)
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
        worker_app.extensions["shopbot.engine"].dispose()
        web_app.extensions["shopbot.engine"].dispose()
    assert len(fake_graph.accepted) == 1
    assert elapsed < 2.0  # not the 30-second safety sweep


def test_the_worker_command_listens_for_notify(postgres_url, graph_server, shop_dir, sign):
    """`shopbot worker` as a separate process answers within a second of the webhook (no polling)."""
    import os
    import subprocess
    import sys

    truncate(postgres_url)
    fake_graph = graph_server[0]
    fake_graph.reset()
    config = make_config(postgres_url, graph_server[1], shop_dir)
    env = dict(os.environ, **{k: str(config[k]) for k in (  # the worker runs live, like the Procfile's
        "DATABASE_URL", "WHATSAPP_API_URL", "SHOP_DIR", "WHATSAPP_TOKEN", "WHATSAPP_PHONE_ID", "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN", "SECRET_KEY")})
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=str(shop_dir),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    web_app = create_app(config)
    try:
        time.sleep(3)  # started and idle
        raw = json.dumps(p.text("34600111222", "hi")).encode()
        started = time.monotonic()
        assert web_app.test_client().post("/webhook", data=raw, headers=sign(raw)).status_code == 200
        fake_graph.wait_for(1, timeout=10)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode()
        web_app.extensions["shopbot.engine"].dispose()
    assert len(fake_graph.accepted) == 1, output
    assert elapsed < 2.0, output
    assert worker.returncode == 0, output  # SIGTERM stops it cleanly
