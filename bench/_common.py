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
import gc
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
from collections.abc import Callable
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


def live_env(database_url: str, graph_url: str, public_url: str, **values) -> dict:
    """The environment for shopbot in live mode, as in production: every production key set
    (WHATSAPP_*, DATABASE_URL, SECRET_KEY, SHOP_API_TOKEN, PAYMENT_WEBHOOK_SECRET, PUBLIC_URL), the
    Graph API the fake at `graph_url` (WHATSAPP_API_URL), the sample shop, and `values` on top."""
    return child_env(**{
        "DATABASE_URL": database_url, "SHOP_DIR": ROOT, "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_API_URL": graph_url, "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "SHOP_API_TOKEN": "bench-api-" + os.urandom(8).hex(),
        "PAYMENT_WEBHOOK_SECRET": "bench-pay-" + os.urandom(8).hex(), "PUBLIC_URL": public_url, **values})


def shopbot_db_upgrade(env: dict) -> None:
    """`shopbot db upgrade` in a child with `env`, as the Procfile's release step runs it."""
    done = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()", "db", "upgrade"],
                          env=env, cwd=ROOT, check=False, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"shopbot db upgrade failed: {(done.stderr or done.stdout)[-800:]}")


def wait_http(url: str, timeout: float, procs: Processes | None = None) -> None:
    """Poll `url` until it answers 200."""
    host, port, path = split_url(url)
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


def split_url(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an http:// URL."""
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
def create_database(name: str) -> str:
    """DROP and CREATE database `name` on the bench's server (not migrated); return its URL."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{PG_SERVER}/{name}"


def fresh_database(name: str) -> str:
    """DROP and CREATE database `name`, migrate it, and return its URL."""
    from bot import schema
    from bot.db import make_engine

    url = create_database(name)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


# -- webhooks --------------------------------------------------------------------
def bsuid(wa_id: str) -> str:
    """The business-scoped user id the bench gives the customer with phone `wa_id`."""
    return f"US.{wa_id}"


def phone_of(recipient: str) -> str:
    """The phone (wa_id) of the customer a reply went to: the inverse of `bsuid`."""
    return recipient[3:] if recipient.startswith("US.") else recipient


def message_webhook(wa_id: str, message: dict, name: str = "Bench Customer") -> bytes:
    """A Meta-format webhook body with one message from `wa_id`, shaped like Meta's current sample
    (tests/data/meta/message.json): the contact carries the phone (wa_id) and the BSUID (user_id).
    `message` holds the message's id, type and content (`{"id": ..., "type": "text", "text": {...}}`).
    Both shopbot and pywa reply to the BSUID."""
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY, "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id, "user_id": bsuid(wa_id)}],
            "messages": [{"from": wa_id, "timestamp": str(int(time.time())), **message}]}}]}]}
    return json.dumps(body, ensure_ascii=False).encode()


def text_webhook(wa_id: str, text: str, wamid: str, name: str = "Bench Customer") -> bytes:
    """A Meta-format webhook body with one text message (see `message_webhook`)."""
    return message_webhook(wa_id, {"id": wamid, "type": "text", "text": {"body": text}}, name)


def signed_headers(raw: bytes, secret: str = APP_SECRET) -> dict:
    return {"Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}


# -- posting ------------------------------------------------------------------------
class Poster:
    """POSTs on keep-alive connections, one per thread and server.

    A connection the server closed while it was idle is reopened once; any other failure
    (a timeout, a refusal, a reset of a fresh connection) is a result, not an exception.
    """

    def __init__(self, timeout: float = 15.0):
        self.timeout = timeout
        self._local = threading.local()

    def post(self, url: str, body: bytes, headers: dict) -> tuple[int | None, str | None]:
        """(HTTP status, None) or (None, what went wrong)."""
        host, port, path = split_url(url)
        conns = self._local.__dict__.setdefault("conns", {})
        for _attempt in range(2):
            conn = conns.pop((host, port), None)
            fresh = conn is None
            if fresh:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            try:
                conn.request("POST", path, body, headers)
                resp = conn.getresponse()
                resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                conn.close()
                if fresh:
                    return None, f"{type(exc).__name__}: {exc}"
                continue  # closed while idle: once more on a new connection
            except Exception as exc:  # timeouts and refusals are results, not crashes
                conn.close()
                return None, f"{type(exc).__name__}: {exc}"
            if resp.will_close:
                conn.close()
            else:
                conns[(host, port)] = conn
            return resp.status, None
        return None, "unreachable"


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

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


def post_at(url: str | list[str], due: list[float], make: Callable[[int], tuple[str, bytes, dict]],
            concurrency: int = 128, timeout: float = 15.0, max_waiting: int | None = None) -> list[Result]:
    """POST request i `due[i]` seconds from now (`due` sorted), whatever the answers do.

    `make(i)` builds request i as (key, body, headers) when it is due, so a body may
    depend on what happened before (a customer tapping a button it was sent). With
    several URLs, request i goes to url[i % len(url)]. Requests are written on
    keep-alive connections from a pool of threads, so a slow answer never delays the
    next request (open loop, no coordinated omission). perf_counter is the clock.
    With `max_waiting`, the load stops early when more requests than that wait for
    their answers (the server is overloaded; more would only queue up); the result then
    has fewer entries than `due`.
    """
    urls = [url] if isinstance(url, str) else url
    poster = Poster(timeout)
    results: list[Result | None] = [None] * len(due)
    waiting = threading.Semaphore(max_waiting) if max_waiting else None

    def post(i: int, key: str, body: bytes, headers: dict, scheduled: float) -> None:
        try:
            started, wall = time.perf_counter(), time.time()
            status, error = poster.post(urls[i % len(urls)], body, headers)
            results[i] = Result(i, key, scheduled, started, time.perf_counter(), wall, status, error)
        finally:
            if waiting is not None:
                waiting.release()

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load")
    try:
        t0 = time.perf_counter() + 0.05
        for i, offset in enumerate(due):
            delay = t0 + offset - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if waiting is not None and not waiting.acquire(blocking=False):
                break  # overloaded: stop offering
            pool.submit(post, i, *make(i), t0 + offset)
    except BaseException:  # Ctrl-C: drop what is not sent yet; stopping the servers ends the rest
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [r for r in results if r is not None]


def open_loop(url: str, requests: list[tuple[str, bytes, dict]], rate: float,
              concurrency: int = 128, timeout: float = 15.0) -> list[Result]:
    """POST each (key, body, headers) at its scheduled time, `rate` a second, whatever the answers do."""
    return post_at(url, [i / rate for i in range(len(requests))], requests.__getitem__, concurrency, timeout)


# -- figures -----------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def steady_rate(arrivals: list[float]) -> float:
    """Events a second between the 10th and the 90th percentile arrival: the steady state, without
    the edges of a step. A sender that falls behind spreads its arrivals out and shows a lower rate."""
    if len(arrivals) < 10:
        return math.nan
    ordered = sorted(arrivals)
    lo, hi = len(ordered) // 10, len(ordered) - 1 - len(ordered) // 10
    return (hi - lo) / (ordered[hi] - ordered[lo]) if ordered[hi] > ordered[lo] else math.nan


def densest_window(times: list[float], window: float = 1.0) -> tuple[int, int]:
    """(first, last) positions in sorted(times) of the most events in any `window` seconds (a sliding
    window over the event times); (0, -1) for none."""
    ordered, best, lo = sorted(times), (0, -1), 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - window:
            lo += 1
        if hi - lo > best[1] - best[0]:
            best = (lo, hi)
    return best


def most_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any `window` seconds."""
    first, last = densest_window(times, window)
    return last - first + 1


class GcPauses:
    """This process's garbage collections and how long each stopped it: a pause of the load generator
    and fake Meta delays the arrival times it records, and a burst it saw may be its own."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []  # (time.monotonic() at the end, seconds)
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._start = time.monotonic()
        else:
            self.pauses.append((time.monotonic(), time.monotonic() - self._start))

    def between(self, start: float, end: float, at_least: float = 0.01) -> list[tuple[float, float]]:
        return [(t, d) for t, d in self.pauses if start <= t <= end and d >= at_least]


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
        # utime + stime, and cutime + cstime: the children it reaped (the postmaster's exited
        # backends, gunicorn's replaced workers), whose CPU would otherwise vanish
        own = (int(fields[11]) + int(fields[12])) / _TICK
        reaped = (int(fields[13]) + int(fields[14])) / _TICK
        yield pid, comm, int(fields[2]), own, reaped


def _machine_ticks() -> dict[str, float]:
    with open("/proc/stat") as f:  # user nice system idle iowait irq softirq steal ...
        ticks = [int(x) for x in f.readline().split()[1:]]
    return {"machine": (sum(ticks[:8]) - ticks[3] - ticks[4]) / _TICK,  # busy, interrupts included
            "interrupts": (ticks[5] + ticks[6]) / _TICK}  # kernel work no process is charged for


def cpu_snapshot(groups: dict[str, int], me: str = "load generator (this process)") -> dict[str, float]:
    """CPU seconds used so far by each named process group, by PostgreSQL (all its processes, exited
    backends included), by this process, and by the whole machine."""
    totals = {name: 0.0 for name in groups}
    totals["postgres (all databases)"] = 0.0
    by_pgid = {pgid: name for name, pgid in groups.items()}
    own_pid = os.getpid()
    for pid, comm, pgrp, own, reaped in _proc_stats():
        if pid == own_pid:
            continue
        if pgrp in by_pgid:
            totals[by_pgid[pgrp]] += own + reaped
        elif comm == "postgres" or comm.startswith("postgres"):
            totals["postgres (all databases)"] += own + reaped
    t = os.times()
    totals[me] = t.user + t.system
    totals.update(_machine_ticks())
    return totals


def _postgres_role(pid: int, database: str) -> str | None:
    """"ours" for a PostgreSQL process working for `database` (a backend, an autovacuum worker),
    "server" for the server's own processes (postmaster, checkpointer, WAL writer...), None for
    another database's backend."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if f" {database} " in title + " ":
        return "ours"
    if not title.startswith("postgres:"):
        return "server"  # the postmaster keeps its command line
    if ")" in title or "[local]" in title or "worker" in title:
        return None  # a client backend, autovacuum or parallel worker of another database
    return "server"


def cpu_sample(groups: dict[str, int], database: str | None) -> dict:
    """CPU seconds used so far, per process: of each named process group (its processes and the
    children they reaped), and of PostgreSQL's work for `database` ("postgres": its backends;
    "postgres server": the server's own processes; not what other databases' backends use;
    nothing for None); with this process and the machine.

    Compare two samples with `cpu_between`, which counts per process, so a backend of another
    database that exits in between is never charged to us."""
    by_pgid = {pgid: name for name, pgid in groups.items()}
    own_pid = os.getpid()
    per_pid: dict[int, tuple[str, float]] = {}
    for pid, comm, pgrp, own, reaped in _proc_stats():
        if pid == own_pid:
            continue
        if pgrp in by_pgid:
            per_pid[pid] = (by_pgid[pgrp], own + reaped)
        elif database and comm.startswith("postgres") and (role := _postgres_role(pid, database)):
            # not `reaped`: the postmaster reaps every database's backends
            per_pid[pid] = ("postgres" if role == "ours" else "postgres server", own)
    t = os.times()
    return {"pids": per_pid, "me": t.user + t.system, **_machine_ticks()}


def cpu_between(before: dict, after: dict, me: str = "load generator + fake Meta (this process)") -> dict[str, float]:
    """CPU seconds each part used between two `cpu_sample`s, with `me`, "machine" and "interrupts".
    A process that ended in between is not counted (its last part is lost); one that started is."""
    used: dict[str, float] = {}
    for pid, (part, cpu) in after["pids"].items():
        prev = before["pids"].get(pid)
        used[part] = used.get(part, 0.0) + cpu - (prev[1] if prev and prev[0] == part else 0.0)
    used[me] = after["me"] - before["me"]
    used["machine"] = after["machine"] - before["machine"]
    used["interrupts"] = after["interrupts"] - before["interrupts"]
    return used


def cpu_report(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """Each part's CPU as % of one core, what other processes took, and the whole machine's load;
    with a warning when something outside the benchmark took a noticeable share."""
    return cpu_text({name: after[name] - before.get(name, 0.0) for name in after}, seconds)


def cpu_text(used: dict[str, float], seconds: float) -> str:
    """`cpu_report` for CPU seconds already counted per part (with "machine" and "interrupts")."""
    def share(name: str) -> float:
        return 100 * used[name] / seconds

    names = [n for n in used if n not in ("machine", "interrupts")]
    parts = [f"{name} {share(name):.0f}%" for name in names]
    other = other_cpu(used, seconds)
    cores = os.cpu_count() or 1
    text = (f"  CPU (% of one core): {', '.join(parts)}, kernel interrupts {share('interrupts'):.0f}%,"
            f" other processes {other:.0f}%; whole machine {share('machine') / cores:.0f}% busy ({cores} cores)")
    if other > OTHER_CPU_WARNING:
        text += (f"\n  WARNING: other processes took {other:.0f}% of a core during this measurement;"
                 " the figures are disturbed, run again on a quiet machine")
    return text


def other_cpu(used: dict[str, float], seconds: float) -> float:
    """What processes outside the benchmark took, in % of one core."""
    counted = sum(v for n, v in used.items() if n not in ("machine", "interrupts"))
    return max(0.0, 100 * (used["machine"] - used["interrupts"] - counted) / seconds)


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
