"""A private, throw-away PostgreSQL cluster for benchmarks that restart the database.

`bench/chaos.py` stops and starts PostgreSQL in the middle of its run, so it
cannot use the machine's server (other people's tests run there). This starts
a cluster of its own: `initdb` into a temporary directory, trust auth, on a
free port of 127.0.0.1 (and a Unix socket inside that directory only), and
removes it all again at the end. Run as root, the cluster runs as the
`postgres` user (PostgreSQL refuses to run as root).

A cluster left behind by a benchmark that was killed outright (kill -9) is
stopped and removed by the next `PrivateCluster.start()` (see `sweep_stale`).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

BIN = Path(os.environ.get("SHOPBOT_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
PREFIX = "shopbot-bench-pg-"
OWNER_FILE = "bench.pid"  # the benchmark process that owns the cluster


def _as_postgres() -> dict:
    """subprocess arguments that run a PostgreSQL binary as `postgres` when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale() -> list[str]:
    """Stop and remove clusters whose benchmark process is gone; return their directories."""
    removed = []
    for path in glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*")):
        owner = Path(path) / OWNER_FILE
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue  # not fully set up, or not ours: leave it alone
        if _alive(pid):
            continue
        data = Path(path) / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run([str(BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "20"],
                           check=False, capture_output=True, timeout=30, **_as_postgres())
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


class PrivateCluster:
    """initdb + pg_ctl on 127.0.0.1:`port`; `restart`, `stop_server`, `start_server`, `destroy`."""

    def __init__(self, port: int, log_copy: Path):
        self.port = port
        self.log_copy = log_copy  # the server log is copied here when the cluster is destroyed
        self.root: Path | None = None

    @property
    def data(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([str(BIN / "pg_ctl"), *args, "-D", str(self.data)], check=False, capture_output=True,
                                text=True, timeout=timeout, **_as_postgres())
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[0]} failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()[-500:]}")

    def start(self) -> None:
        """initdb a new cluster and start it (waits until it accepts connections)."""
        sweep_stale()
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.root / OWNER_FILE).write_text(str(os.getpid()))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        result = subprocess.run([str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
                                check=False, capture_output=True, text=True, timeout=120, **_as_postgres())
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {(result.stderr or result.stdout).strip()[-500:]}")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\n# bench/_pg_cluster.py\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\nmax_connections = 300\n"
                       "shared_buffers = 64MB\nlog_min_messages = warning\n")
        self.start_server()

    def start_server(self) -> None:
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.root / "postgres.log"))

    def stop_server(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-w", "-t", "60", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "-w", "-t", "60", "-m", mode, "-l", str(self.root / "postgres.log"))

    def create_database(self, name: str) -> str:
        """CREATE DATABASE `name`; return its URL."""
        import psycopg

        with psycopg.connect(f"{self.server_url}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"{self.server_url}/{name}"

    def destroy(self) -> None:
        """Stop the server (immediate) and delete the directory; safe to call twice."""
        if self.root is None:
            return
        root, self.root = self.root, None
        try:
            if (root / "data" / "postmaster.pid").exists():
                subprocess.run([str(BIN / "pg_ctl"), "stop", "-D", str(root / "data"), "-m", "immediate",
                                "-w", "-t", "30"], check=False, capture_output=True, timeout=40, **_as_postgres())
        finally:
            try:
                self.log_copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / "postgres.log", self.log_copy)
            except OSError:
                pass
            shutil.rmtree(root, ignore_errors=True)
            deadline = time.monotonic() + 5
            while root.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
