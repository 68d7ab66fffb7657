"""Starting shopbot's real processes for a test: the Procfile's web line under gunicorn, `shopbot worker`."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .conftest import REPO, free_port

#: The keys a live process needs, from a test's app_config (the process runs live, as the Procfile's do).
LIVE_KEYS = ("DATABASE_URL", "WHATSAPP_API_URL", "SHOP_DIR", "WHATSAPP_TOKEN", "WHATSAPP_PHONE_ID",
             "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "SECRET_KEY")


def live_env(config: dict, **extra: str) -> dict:
    """This environment (less any multiprocess directory of ours) with `config`'s live keys and `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "WEB_CONCURRENCY",
                                                             "LOG_FORMAT")}
    return dict(env, **{k: str(config[k]) for k in LIVE_KEYS}, **extra)


def wait_until_up(url: str, proc: subprocess.Popen, log: Path | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited early ({proc.returncode}): {log.read_text() if log else ''}"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextmanager
def procfile_web(config: dict, log_path: Path, **extra: str) -> Iterator[str]:
    """The Procfile's `web:` line as a platform runs it (a shell, from the repository root, so gunicorn
    reads gunicorn.conf.py there), on a free port; yields its base URL, and stops it with SIGTERM."""
    web = next(line.split(":", 1)[1] for line in (REPO / "Procfile").read_text().splitlines()
               if line.startswith("web:"))
    port = free_port()
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # this venv's gunicorn
    env = live_env(config, PORT=str(port), PATH=path, **extra)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["sh", "-c", f"exec {web.strip()}"], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", proc, log_path)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
