"""A broadcast survives a kill -9 of the real `shopbot worker` mid-run, on PostgreSQL: the next worker
goes on where it stopped and every recipient gets the message exactly once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from bot.app import create_app

from . import payloads as p
from .conftest import make_config, truncate
from .processes import live_env
from .test_broadcasts import phones

SIZE = 1000


def _worker(config: dict, shop_dir, log_path):
    env = live_env(config, MESSAGING_LIMIT="unlimited", SEND_RATE="400", SEND_CONCURRENCY="8", SEND_TIMEOUT="2",
                   SEND_RECONCILE_SECONDS="1", BROADCAST_BATCH="100")
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=str(shop_dir),
                                stdout=log, stderr=subprocess.STDOUT)


def test_a_broadcast_resumes_exactly_once_after_kill_9_of_the_worker(postgres_url, graph_server, shop_dir, sign,
                                                                     tmp_path):
    truncate(postgres_url)
    fake_graph, graph_url = graph_server
    fake_graph.reset()
    config = make_config(postgres_url, graph_url, shop_dir)
    web = create_app(config)

    def meta_says_sent(entry: dict) -> None:
        """Meta's `sent` status webhook, with our tracker, as Meta sends it for each accepted message: it
        reaches the web process even when the worker that sent the message is killed before its answer."""
        payload = entry["payload"]
        raw = json.dumps(p.status(entry["wamid"], "sent", payload["to"],
                                  tracker=payload.get("biz_opaque_callback_data"))).encode()
        web.test_client().post("/webhook", data=raw, headers=sign(raw))

    fake_graph.on_accept = meta_says_sent
    fake_graph.latency = 0.004
    everyone = phones(SIZE)
    runner = web.test_cli_runner()
    csv = tmp_path / "consent.csv"
    csv.write_text("phone,source\n" + "".join(f"+{ph},shop counter\n" for ph in everyone))
    assert runner.invoke(args=["customers", "optin", "--csv", str(csv)]).exit_code == 0
    created = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", "--segment", "all opted in"])
    assert created.exit_code == 0, created.output
    campaign = created.output.split()[1].rstrip(":")
    log_path = tmp_path / "worker.log"
    first = _worker(config, shop_dir, log_path)
    try:
        fake_graph.wait_for(300, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = len(fake_graph.accepted)
        assert 300 <= at_kill < SIZE, log_path.read_text()
        second = _worker(config, shop_dir, log_path)
        try:
            fake_graph.wait_for(SIZE, timeout=90)
            time.sleep(5)  # past the lease of anything the killed worker had claimed: nothing more may come
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
        fake_graph.on_accept = None
        fake_graph.latency = 0.0
    sent = Counter(m["payload"]["to"] for m in fake_graph.accepted if m["payload"].get("type") == "template")
    assert set(sent) == set(everyone), log_path.read_text()[-3000:]
    assert sent.most_common(1)[0][1] == 1  # exactly once each
    status = runner.invoke(args=["broadcast", "status", campaign]).output
    assert f"sent {SIZE} (delivered 0), failed 0, skipped 0, remaining 0 (0 in the outbox)" in status, status
    assert "weekly_offers (en, marketing), done" in status
    web.extensions["shopbot.engine"].dispose()
