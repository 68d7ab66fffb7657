"""Shared pieces of the benchmarks: child processes, a fresh database, signed
Meta-format webhooks, an open-loop load generator and percentiles.

Everything here talks to 127.0.0.1 only. Child processes run in their own
process group and are stopped (SIGTERM, then SIGKILL) when the benchmark ends,
fails or is interrupted; on Linux they also die with the benchmark if it is
killed outright (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import hmac
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository (wsgi.py, flows/)
BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"  # logs of the child processes (git-ignored)
PG_SERVER = os.environ.get("SHOPBOT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PHONE_ID = "1122334455667"  # the sandbox phone number id: shopbot's and pywa's filters accept it
DISPLAY = "15550001234"
APP_SECRET = "bench-secret"
GRAPH_LATENCY = 0.150  # seconds the fake Graph API takes for every send

if str(ROOT) not in sys.path:  # `bot` from this checkout, installed or not
    sys.path.insert(1, str(ROOT))


# -- child processes -------------------------------------------------------------
def _die_with_parent() -> None:
    """Runs in the child before exec: get SIGKILL when the benchmark dies (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Processes:
    """Start children in their own process groups; `stop_all` ends every one of them."""

    def __init__(self, logdir: Path = OUT):
        self.logdir = logdir
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.children: list[tuple[str, subprocess.Popen]] = []
        atexit.register(self.stop_all)

    def start(self, name: str, args: list[str], env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
        with open(self.logdir / f"{name}.log", "wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    preexec_fn=_die_with_parent)
        self.children.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 8.0) -> None:
        """SIGTERM the child's process group, then SIGKILL what is left after `timeout`."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout)
        # the group may still hold grandchildren (gunicorn workers)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.children = [(n, p) for n, p in self.children if p is not proc]

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self.children)):
            self.stop(proc)

    def check_alive(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.logdir / (name + '.log')}")


def exit_cleanly_on_signals() -> None:
    """Ctrl-C raises KeyboardInterrupt (even when started where SIGINT was ignored), SIGTERM and
    SIGHUP raise SystemExit: either way the `finally` blocks stop the children."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # respect nohup
        signal.signal(signal.SIGHUP, handler)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**values) -> dict:
    """The environment for a child: ours without shopbot settings, plus live keys and `values`.

    shopbot runs live in the benchmarks, as in production: the Graph API is the fake one
    `values` names (WHATSAPP_API_URL), never the sandbox."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WHATSAPP_", "SEND_", "DATABASE_URL", "SHOP_DIR", "SHOPBOT_SANDBOX", "SANDBOX_URL",
                                "SECRET_KEY"))}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(WHATSAPP_TOKEN="bench-token", WHATSAPP_PHONE_ID=PHONE_ID, WHATSAPP_DISPLAY_NUMBER=DISPLAY,
               WHATSAPP_VERIFY_TOKEN="bench-verify-token", SECRET_KEY="bench-secret-key")
    env.update({k: str(v) for k, v in values.items()})
    return env


def wait_http(url: str, timeout: float, procs: Processes | None = None) -> None:
    """Poll `url` until it answers 200."""
    host, port, path = _split(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        if procs:
            procs.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def wait_log(path: Path, text: str, timeout: float, procs: Processes | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if procs:
            procs.check_alive()
        time.sleep(0.1)
    raise RuntimeError(f"{path.name}: {text!r} not seen within {timeout:.0f} s")


def _split(url: str) -> tuple[str, int, str]:
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port or 80), "/" + path


def gunicorn_args(app: str, port: int, workers: int = 2, threads: int = 4) -> list[str]:
    return [sys.executable, "-m", "gunicorn", app, "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}"]


WORKERS = {
    "shopbot": "`shopbot worker` as shipped (the Procfile's worker: dispatch loop plus PostgreSQL LISTEN)",
    "listening": "the same Sender started with Sender.start(), i.e. with its LISTEN/NOTIFY thread "
                 "(what `shopbot worker` does after the fix suggested in bench/README.md)",
}

_LISTENING_WORKER = """
import signal, threading
from bot.app import create_app
from bot.sender import Sender
app = create_app()
sender = app.extensions["shopbot.sender"] = Sender(app)
stop = threading.Event()
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda *_: stop.set())
sender.start()  # the dispatch loop and the LISTEN thread
print("shopbot worker: sending", flush=True)
stop.wait()
sender.stop()
"""


def shopbot_worker_args(kind: str = "shopbot") -> list[str]:
    """The sender process: `shopbot worker`, or ("listening") the same Sender with its LISTEN thread."""
    if kind == "listening":
        return [sys.executable, "-c", _LISTENING_WORKER]
    return [sys.executable, "-c", "from bot.cli import main; main()", "worker"]


def fake_graph_args(port: int, latency: float = GRAPH_LATENCY) -> list[str]:
    """A child process serving bot.sandbox.fake_graph.FakeGraph on 127.0.0.1:`port`."""
    code = ("import sys, threading; from bot.sandbox.fake_graph import FakeGraph, serve_fake_graph; "
            f"s = serve_fake_graph(FakeGraph(latency={latency!r}), {port}); "
            "print('fake graph on', s.url, flush=True); threading.Event().wait()")
    return [sys.executable, "-c", code]


# -- database --------------------------------------------------------------------
def fresh_database(name: str) -> str:
    """DROP and CREATE database `name`, migrate it, and return its URL."""
    import psycopg

    from bot import schema
    from bot.db import make_engine

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{PG_SERVER}/{name}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


# -- webhooks --------------------------------------------------------------------
def bsuid(wa_id: str) -> str:
    """The business-scoped user id the bench gives the customer with phone `wa_id`."""
    return f"US.{wa_id}"


def text_webhook(wa_id: str, text: str, wamid: str, name: str = "Bench Customer") -> bytes:
    """A Meta-format webhook body with one text message, shaped like Meta's current sample
    (tests/data/meta/message.json): the contact carries the phone (wa_id) and the BSUID (user_id).
    Both shopbot and pywa reply to the BSUID."""
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY, "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id, "user_id": bsuid(wa_id)}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": text}}]}}]}]}
    return json.dumps(body, ensure_ascii=False).encode()


def signed_headers(raw: bytes, secret: str = APP_SECRET) -> dict:
    return {"Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}


# -- open-loop load ----------------------------------------------------------------
@dataclass
class Result:
    index: int
    key: str  # what the request was about (a message id or recipient)
    scheduled: float  # perf_counter when it was due
    started: float  # perf_counter when it was written
    finished: float  # perf_counter when the answer was read
    wall_started: float  # time.time() when it was written (to compare with other clocks in this process)
    status: int | None
    error: str | None

    @property
    def latency(self) -> float:
        return self.finished - self.started

    @property
    def lag(self) -> float:
        """How late the client wrote the request: a large lag means the client was the bottleneck."""
        return self.started - self.scheduled


def open_loop(url: str, requests: list[tuple[str, bytes, dict]], rate: float,
              concurrency: int = 128, timeout: float = 15.0) -> list[Result]:
    """POST each (key, body, headers) at its scheduled time, `rate` a second, whatever the answers do.

    Requests are written on keep-alive connections from a pool of threads, so a
    slow answer never delays the next request (open loop, no coordinated
    omission). A connection the server closed while idle is reopened once.
    """
    host, port, path = _split(url)
    local = threading.local()
    results: list[Result | None] = [None] * len(requests)

    def post(i: int, key: str, body: bytes, headers: dict, scheduled: float) -> None:
        started = time.perf_counter()
        wall = time.time()
        status = error = None
        for attempt in range(2):
            conn = getattr(local, "conn", None)
            fresh = conn is None
            if fresh:
                conn = local.conn = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                conn.request("POST", path, body, headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                if resp.will_close:
                    conn.close()
                    local.conn = None
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                conn.close()
                local.conn = None
                if fresh or attempt:
                    error = f"{type(exc).__name__}: {exc}"
                    break
            except Exception as exc:  # timeouts and refusals are results, not crashes
                conn.close()
                local.conn = None
                error = f"{type(exc).__name__}: {exc}"
                break
        results[i] = Result(i, key, scheduled, started, time.perf_counter(), wall, status, error)

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load")
    try:
        t0 = time.perf_counter() + 0.05
        for i, (key, body, headers) in enumerate(requests):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(post, i, key, body, headers, due)
    except BaseException:  # Ctrl-C: drop what is not sent yet; stopping the servers ends the rest
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [r for r in results if r is not None]


# -- figures -----------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def line(label: str, value_ms: float, target_ms: float | None = None, width: int = 44) -> str:
    text = f"  {label:<{width}} {value_ms:8.1f} ms"
    if target_ms is not None:
        text += f"  (target <= {target_ms:g} ms)  {verdict(value_ms, target_ms)}"
    return text


# -- CPU accounting ------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_stat_fields():
    """(pid, command name, the fields of /proc/PID/stat after the name) for every live process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        yield int(entry), raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()


def _proc_stats():
    for pid, comm, fields in proc_stat_fields():
        # fields[0] is state (field 3); pgrp is field 5, utime..cstime are fields 14-17
        # utime + stime, plus cutime + cstime: the children it reaped (the postmaster's exited
        # backends, gunicorn's replaced workers), whose CPU would otherwise vanish
        yield pid, comm, int(fields[2]), sum(int(x) for x in fields[11:15]) / _TICK


def cpu_snapshot(groups: dict[str, int], me: str = "load generator (this process)") -> dict[str, float]:
    """CPU seconds used so far by each named process group, by PostgreSQL (all its processes, exited
    backends included), by this process, and by the whole machine."""
    totals = {name: 0.0 for name in groups}
    totals["postgres (all databases)"] = 0.0
    by_pgid = {pgid: name for name, pgid in groups.items()}
    own_pid = os.getpid()
    for pid, comm, pgrp, cpu in _proc_stats():
        if pid == own_pid:
            continue
        if pgrp in by_pgid:
            totals[by_pgid[pgrp]] += cpu
        elif comm == "postgres" or comm.startswith("postgres"):
            totals["postgres (all databases)"] += cpu
    t = os.times()
    totals[me] = t.user + t.system
    with open("/proc/stat") as f:  # user nice system idle iowait irq softirq steal ...
        ticks = [int(x) for x in f.readline().split()[1:]]
    totals["machine"] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / _TICK  # busy, interrupts included
    totals["interrupts"] = (ticks[5] + ticks[6]) / _TICK  # kernel work no process is charged for
    return totals


def cpu_report(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """Each part's CPU as % of one core, what other processes took, and the whole machine's load;
    with a warning when something outside the benchmark took a noticeable share."""
    def used(name: str) -> float:
        return 100 * (after[name] - before.get(name, 0.0)) / seconds

    names = [n for n in after if n not in ("machine", "interrupts")]
    parts = [f"{name} {used(name):.0f}%" for name in names]
    other = max(0.0, used("machine") - used("interrupts") - sum(used(n) for n in names))
    cores = os.cpu_count() or 1
    text = (f"  CPU (% of one core): {', '.join(parts)}, kernel interrupts {used('interrupts'):.0f}%,"
            f" other processes {other:.0f}%; whole machine {used('machine') / cores:.0f}% busy ({cores} cores)")
    if other > OTHER_CPU_WARNING:
        text += (f"\n  WARNING: other processes took {other:.0f}% of a core during this measurement;"
                 " the figures are disturbed, run again on a quiet machine")
    return text


OTHER_CPU_WARNING = 20.0  # % of one core taken by processes that are not the benchmark's


def machine_busy(seconds: float = 1.0) -> float:
    """How busy the whole machine is now, in % of all its cores."""
    def ticks():
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]

    total0, idle0 = ticks()
    time.sleep(seconds)
    total1, idle1 = ticks()
    return 100 * (1 - (idle1 - idle0) / max(1, total1 - total0))


def check_quiet() -> None:
    """Say so when the machine is already busy: the figures would not be this code's alone."""
    busy = machine_busy()
    if busy > 10:
        print(f"  WARNING: the machine is {busy:.0f}% busy before the benchmark starts (other processes);"
              " the figures will be disturbed")


def run_main(main) -> None:
    """Run a benchmark's main; Ctrl-C still stops every process it started (their `finally`)."""
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: every process this benchmark started has been stopped", file=sys.stderr)
        sys.exit(130)
