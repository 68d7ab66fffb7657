"""The `shopbot` command speaks for shopbot alone (issue 15, item 11): its own help and version,
`check` on standard output with one line for a missing column, `events list` saying when there is
nothing, a busy port naming `--port`, and the sandbox's polls kept out of the log."""
from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from importlib.metadata import version

import httpx
from click.testing import CliRunner

from bot.cli import cli

from .conftest import REPO, free_port
from .test_sandbox_mode import SETTINGS


def test_help_lists_shopbot_options_only_and_version_is_shopbots():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for flask_option in ("--env-file", "--app", "--debug", "-e,", "-A,"):
        assert flask_option not in result.output
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"shopbot {version('shopbot')}"
    assert "Flask" not in result.output


def test_check_reports_a_missing_column_once_on_standard_output(shop_dir):
    path = shop_dir / "catalog" / "products.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    price = rows[0].index("price")
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([r[:price] + r[price + 1:] for r in rows])
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "catalog/products.csv:1: the header has no `price` column (it needs sku, name, category, price)" in lines
    assert not any("is empty" in line for line in lines)
    assert "a running bot keeps serving the last content that passed" in result.stdout


def test_events_list_says_when_there_is_nothing(runner):
    result = runner.invoke(args=["events", "list"])
    assert result.exit_code == 0
    assert result.output.strip() == "No failed events."


def _sandbox_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and k != "FLASK_APP"}
    return dict(env, PYTHONPATH=str(REPO))


def test_run_on_a_busy_port_names_the_option_to_change(shop_dir):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "run", "--port", str(port)],
                              cwd=shop_dir, env=_sandbox_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and f"shopbot run --port {port + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_sandbox_polls_are_not_logged(shop_dir, tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "run", "--port", str(port)],
                                cwd=shop_dir, env=_sandbox_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        for _ in range(5):
            assert httpx.get(f"{base}/sandbox/api/feed", params={"customer": "34600111222"},
                             timeout=5).status_code == 200
        httpx.get(f"{base}/sandbox/", timeout=5)
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    assert '"GET /sandbox/ HTTP/1.1" 200' in text  # requests are still logged
    assert "/sandbox/api/feed" not in text
