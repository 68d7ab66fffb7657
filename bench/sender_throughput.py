"""How many replies a second reach a slow Graph API, and how soon: shopbot vs. sending in the request.

Both systems get the same open-loop load of signed text webhooks (each from a
new customer, so every webhook causes exactly one reply) at 40, 60, 80 and
100 webhooks/s for 8 s each, against a fake Graph API that answers every send
in 150 ms:

  shopbot   gunicorn wsgi:app, 2 workers x 4 gthread threads, + one `shopbot worker`
            (SEND_RATE is the shipped 80/s, except 1000 for the 100/s step);
  baseline  a minimal pywa echo bot (bench/pywa_echo.py) that replies inside the
            webhook request, on gunicorn 2 workers x 4 gthread threads.

The load generator and the fake Graph API run in this process, so one clock
times both ends: webhook-to-Graph latency is from the load generator writing
the webhook to the fake Graph API receiving the reply (before its 150 ms).
Delivered/s is the rate at which replies reached the fake between its 10th and
90th percentile arrival (the steady state of the step).

    python bench/sender_throughput.py [--rates 40,60,80,100] [--seconds 8] [--worker shopbot|listening]

Target (from the issue): with a Graph API answering in 150 ms, sustain 80
messages/s with every reply delivered and p50 webhook-to-Graph <= 300 ms.
Informational: the exit status is 0 whether or not it is met.
"""
from __future__ import annotations

import argparse
import collections
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

DB_NAME = "shopbot_bench_tp"
SHIPPED_SEND_RATE = 80.0
FAST_SEND_RATE = 1000.0
ME = "load generator + fake Graph API (this process)"
STALL = 1.5  # seconds without a new reply after which a step stops waiting for the rest


class RecordingGraph:
    """bot.sandbox.fake_graph.FakeGraph served in a thread of this process, noting when each
    send arrives (time.time(), before the fake's latency) per recipient."""

    def __init__(self, latency: float):
        from flask import Flask, request

        from bot.sandbox.fake_graph import FakeGraph, LocalServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.fake = FakeGraph(latency=latency)
        self.arrivals: dict[str, list[float]] = collections.defaultdict(list)
        self.lock = threading.Lock()
        app = Flask("bench_fake_graph")
        app.register_blueprint(self.fake.blueprint())

        @app.before_request
        def note_arrival():
            if request.method == "POST" and request.path.endswith("/messages"):
                at = time.time()
                payload = request.get_json(force=True)
                to = payload.get("to") or payload.get("recipient")
                with self.lock:
                    self.arrivals[to].append(at)

        self.server = LocalServer(app)
        self.url = self.server.url

    def first_arrival(self, recipient: str) -> float | None:
        with self.lock:
            times = self.arrivals.get(recipient)
            return times[0] if times else None

    def close(self) -> None:
        self.server.close()


@dataclass
class Step:
    rate: float
    offered: int
    acked: int = 0
    errors: int = 0
    delivered: int = 0
    delivered_rate: float = float("nan")
    latencies_ms: list[float] = field(default_factory=list)
    lag_p99_ms: float = float("nan")
    ack_ms: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def p50(self) -> float:
        return c.percentile(self.latencies_ms, 50)

    @property
    def all_delivered(self) -> bool:
        return self.delivered == self.offered


def run_step(graph: RecordingGraph, base: str, tag: int, rate: float, seconds: float,
             drain: float) -> Step:
    """Offer `rate` webhooks/s for `seconds`, each from a new customer; wait up to `drain` s for replies."""
    count = int(rate * seconds)
    requests = []
    for i in range(count):
        wa_id = f"3469{tag:03d}{i:06d}"
        raw = c.text_webhook(wa_id, "hi", f"wamid.bench.tp.{tag:03d}.{i:06d}", name=f"Customer {i}")
        requests.append((c.bsuid(wa_id), raw, c.signed_headers(raw)))  # replies go to the BSUID
    results = c.open_loop(base + "/webhook", requests, rate, concurrency=1200, timeout=60)
    # Wait for late replies: until all are in, `drain` s have passed, or none came for STALL s.
    deadline = time.monotonic() + drain
    seen, last_progress = -1, time.monotonic()
    while time.monotonic() < deadline:
        arrived = sum(1 for r in results if graph.first_arrival(r.key) is not None)
        if arrived == len(results):
            break
        if arrived != seen:
            seen, last_progress = arrived, time.monotonic()
        elif time.monotonic() - last_progress > STALL:
            break
        time.sleep(0.1)
    step = Step(rate, count)
    step.acked = sum(1 for r in results if r.status == 200 and r.error is None)
    step.errors = count - step.acked
    arrivals = []
    for r in results:
        at = graph.first_arrival(r.key)
        if at is not None:
            arrivals.append(at)
            step.latencies_ms.append((at - r.wall_started) * 1000)
    step.delivered = len(arrivals)
    step.delivered_rate = c.steady_rate(arrivals)
    step.lag_p99_ms = c.percentile([r.lag * 1000 for r in results], 99)
    step.ack_ms = [r.latency * 1000 for r in results if r.status == 200]
    return step


def warm_up(graph: RecordingGraph, base: str, tag: int, drain: float) -> None:
    """1 s at 40 webhooks/s, not counted: fresh processes compile their SQL and open their pools."""
    run_step(graph, base, tag, 40, 1.0, drain)


def fmt(value: float, digits: int = 0) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # nan (no data) prints as "-"


def describe(name: str, step: Step, cpu: str) -> None:
    print(f"  {name} {step.rate:g}/s: {step.offered} webhooks, {step.acked} acked, {step.errors} errors; "
          f"{step.delivered} replies at the Graph API, {fmt(step.delivered_rate, 1)}/s; webhook-to-Graph "
          f"p50 {fmt(step.p50)} ms, p90 {fmt(c.percentile(step.latencies_ms, 90))} ms; ack p50 "
          f"{fmt(c.percentile(step.ack_ms, 50))} ms, p99 {fmt(c.percentile(step.ack_ms, 99))} ms; "
          f"client lag p99 {fmt(step.lag_p99_ms)} ms{step.note}")
    print("  " + cpu.strip())


def run_shopbot(procs: c.Processes, graph: RecordingGraph, rates: list[float], seconds: float, drain: float,
                worker_kind: str) -> list[Step]:
    url = c.fresh_database(DB_NAME)
    port = c.free_port()
    env = c.child_env(DATABASE_URL=url, WHATSAPP_APP_SECRET=c.APP_SECRET, SHOP_DIR=c.ROOT,
                      WHATSAPP_API_URL=graph.url)
    web = procs.start("tp_shopbot_gunicorn", c.gunicorn_args("wsgi:app", port), env)
    base = f"http://127.0.0.1:{port}"
    c.wait_http(base + "/healthz", 30, procs)
    worker, worker_rate, steps = None, None, []
    print(f"shopbot: gunicorn wsgi:app 2 workers x 4 threads + sender: {c.WORKERS[worker_kind]}"
          "\n  (a 1 s warm-up at 40/s, not counted, after each start of the sender)")
    try:
        for n, rate in enumerate(rates):
            send_rate = SHIPPED_SEND_RATE if rate <= SHIPPED_SEND_RATE else FAST_SEND_RATE
            if send_rate != worker_rate:
                if worker is not None:
                    procs.stop(worker)
                name = f"tp_shopbot_worker_rate{send_rate:g}"
                worker = procs.start(name, c.shopbot_worker_args(worker_kind), dict(env, SEND_RATE=str(send_rate)))
                c.wait_log(c.OUT / f"{name}.log", "shopbot worker: sending", 30, procs)
                worker_rate = send_rate
                warm_up(graph, base, 150 + n, drain)
            groups = {"gunicorn": web.pid, "worker": worker.pid}
            cpu0, t0 = c.cpu_snapshot(groups, ME), time.monotonic()
            step = run_step(graph, base, 100 + n, rate, seconds, drain)
            cpu = c.cpu_report(cpu0, c.cpu_snapshot(groups, ME), time.monotonic() - t0)
            step.note = f"; SEND_RATE={send_rate:g}"
            describe("shopbot", step, cpu)
            steps.append(step)
            procs.check_alive()
    finally:
        if worker is not None:
            procs.stop(worker)
        procs.stop(web)
    return steps


def run_baseline(procs: c.Processes, graph: RecordingGraph, rates: list[float], seconds: float,
                 drain: float) -> list[Step]:
    port = c.free_port()
    env = c.child_env(ECHO_GRAPH_URL=graph.url, ECHO_APP_SECRET=c.APP_SECRET, ECHO_PHONE_ID=c.PHONE_ID)
    web = procs.start("tp_pywa_gunicorn", c.gunicorn_args("pywa_echo:app", port), env, cwd=c.BENCH)
    base = f"http://127.0.0.1:{port}"
    steps = []
    print("baseline: pywa echo bot replying inside the webhook request (bench/pywa_echo.py), "
          "gunicorn 2 workers x 4 threads\n  (a 1 s warm-up at 40/s, not counted)")
    try:
        c.wait_http(base + "/healthz", 30, procs)
        warm_up(graph, base, 250, drain)
        for n, rate in enumerate(rates):
            groups = {"gunicorn": web.pid}
            cpu0, t0 = c.cpu_snapshot(groups, ME), time.monotonic()
            step = run_step(graph, base, 200 + n, rate, seconds, drain)
            cpu = c.cpu_report(cpu0, c.cpu_snapshot(groups, ME), time.monotonic() - t0)
            describe("pywa-in-request", step, cpu)
            steps.append(step)
            procs.check_alive()
    finally:
        procs.stop(web)
    return steps


def table(shop: list[Step], base: list[Step]) -> None:
    def cells(s: Step | None) -> str:
        if s is None:
            return f"{'-':>11} {'-':>8} {'-':>16}"
        every = "yes" if s.all_delivered else f"no ({s.delivered}/{s.offered})"
        return f"{fmt(s.delivered_rate, 1):>11} {fmt(s.p50):>8} {every:>16}"

    print("\n  offered |           shopbot (gunicorn 2x4 + worker)  |       pywa-in-request (gunicorn 2x4)")
    print("   msg/s  | deliv. /s   p50 ms   all delivered? | deliv. /s   p50 ms   all delivered?")
    rates = sorted({s.rate for s in shop} | {s.rate for s in base})
    for rate in rates:
        s = next((x for x in shop if x.rate == rate), None)
        b = next((x for x in base if x.rate == rate), None)
        print(f"  {rate:7g} | {cells(s)} | {cells(b)}")
    print(f"  (p50 = webhook-to-Graph latency; shopbot's SEND_RATE is {SHIPPED_SEND_RATE:g}/s, the shipped default,"
          f" up to 80/s offered and {FAST_SEND_RATE:g}/s above)")


def verdicts(shop: list[Step]) -> None:
    s80 = next((s for s in shop if s.rate == 80), None)
    if s80 is None:
        return
    print("\nTarget: shopbot at 80 messages/s with the Graph API answering in 150 ms")
    ok = s80.delivered_rate >= 0.98 * 80  # False for nan
    verdict = "PASS" if ok else "MISS"
    print(f"  sustained {fmt(s80.delivered_rate, 1):>8} msg/s  (target 80 msg/s, within 2%)  {verdict}")
    print(f"  delivered {s80.delivered:5d} of {s80.offered:<5d}  (target: every reply)  "
          f"{'PASS' if s80.all_delivered else 'MISS'}")
    if s80.p50 == s80.p50:
        print(c.line("p50 webhook-to-Graph", s80.p50, 300, width=20))
    else:
        print("  p50 webhook-to-Graph        - ms  (target <= 300 ms)  MISS (no reply arrived)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="40,60,80,100", help="offered webhooks/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="seconds per step (default 8, so that the whole run stays under 2 minutes)")
    parser.add_argument("--drain", type=float, default=8.0,
                        help=f"at most this many seconds to wait for late replies after each step, less when "
                             f"none arrives for {STALL:g} s (default 8)")
    parser.add_argument("--only", choices=["shopbot", "baseline"], help="run one system only")
    parser.add_argument("--worker", choices=sorted(c.WORKERS), default="shopbot",
                        help="shopbot: `shopbot worker` as shipped (default); listening: the same Sender with "
                             "its LISTEN/NOTIFY thread, as after the suggested fix")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]

    started = time.monotonic()
    c.exit_cleanly_on_signals()
    procs = c.Processes()
    graph = RecordingGraph(c.GRAPH_LATENCY)
    shop: list[Step] = []
    base: list[Step] = []
    try:
        print(f"sender_throughput: fake Graph API answering in {c.GRAPH_LATENCY * 1000:.0f} ms (in this process);"
              f" {args.seconds:g} s per step, open loop, one new customer per webhook")
        c.check_quiet()
        if args.only != "baseline":
            shop = run_shopbot(procs, graph, rates, args.seconds, args.drain, args.worker)
        if args.only != "shopbot":
            base = run_baseline(procs, graph, rates, args.seconds, args.drain)
        table(shop, base)
        verdicts(shop)
        print(f"\n(finished in {time.monotonic() - started:.0f} s; logs in {c.OUT})")
    finally:
        procs.stop_all()
        graph.close()


if __name__ == "__main__":
    c.run_main(main)
