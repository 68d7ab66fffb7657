"""Performance and scale-out (issue 14): shopbot beside the pywa echo bot, on one command.

Starts, all on 127.0.0.1: a fresh PostgreSQL database on the bench's server, shopbot in live
mode (gunicorn `wsgi:app` 2 workers x 4 gthread threads as in the Procfile, one
`shopbot worker`, every production key set, WHATSAPP_API_URL pointing at a fake Graph
API), the pywa echo bot (bench/pywa_echo.py, the same gunicorn settings), and, in this
process, fake Meta: a Graph API that answers at once unless a phase says otherwise and
posts signed `sent`, `delivered` and `read` status webhooks for every send (carrying the
wamid it returned and the send's tracker), and the customers (bench/_shoppers.py), who
tap real buttons and list rows from what the bot sent them, or type from a list written
for the sample shop. Then, in phases:

  1. saturation: N posters in a closed loop (each posts its next customer message once
     the last was answered 200 and its first reply reached the Graph API); webhooks/s
     acknowledged (customer messages + status webhooks) and server CPU per customer
     message (gunicorn + worker + PostgreSQL backends of its database), shopbot vs pywa,
     and the same for the design's floor (bench/outbox_echo.py: shopbot's shape, none of
     its features, on its own database);
  2. open loop at 100 customer msg/s (ack p99, webhook -> reply at the Graph API), at 80/s
     (the whole stack's CPU in cores), and at 80/s with the Graph API answering in 150 ms;
  3. the workload itself: its mix, real taps, replies per message (printed with 1 and 2);
  4. per-customer pacing: 20 customers on a 30-tap journey, tapping 1.5 s after each
     answer (the pacing delay from outbound_message), and a runaway customer's burst;
  5. one send rate across two `shopbot worker` processes (SEND_RATE=20, a backlog of 200);
  6. scale-out: two gunicorn servers + one, then two senders on one database, the Graph
     API at 150 ms: no loss, no duplicates, the global rate held, throughput per sender.

    python bench/throughput.py [--quick] [--redis] [--phases 1,2,3,4,5,6]

Prints a table with the target beside each figure and PASS/MISS; the exit status is 0
either way. Every child process is stopped on exit, Ctrl-C and SIGTERM. Logs go to
bench/out/throughput/.
"""
from __future__ import annotations

import argparse
import itertools
import random
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import outbox_echo
from _fake_meta import FakeGraph, WebhookDeliveries
from _runs import OVERLOAD, Outcome, System, closed_run, customer_schedule, open_run, point_statuses
from _shoppers import Message, Shoppers, mix

LOGS = c.OUT / "throughput"
DB_MAIN = "shopbot_bench_throughput"
DB_SCALE = "shopbot_bench_scaleout"
DB_FLOOR = "shopbot_bench_floor"  # the outbox echo bot's (bench/outbox_echo.py), phase 1's floor
SEED = 20261201
REDIS_URL = "redis://127.0.0.1:6379/0"
#: Phases 1-4 run shopbot's sender with this SEND_RATE (Meta's higher tier): the shipped 80/s would
#: cap replies below the offered load, and phases 5 and 6 are where the rate limit is measured.
FAST_SEND_RATE = 1000
CUSTOMERS_PER_RATE = 7.5  # each customer writes every 5-10 s: rate x 7.5 customers offer `rate` msg/s
UNFINISHED = ("queued", "sending", "unconfirmed")
#: The load generator's own GC pauses, shown when phase 5 finds a second over the rate.
GC_PAUSES = c.GcPauses()


@dataclass
class Plan:
    """How long each phase runs (the full run, or --quick)."""

    sat_seconds: float = 12.0
    posters: int = 24
    sat_customers: int = 300  # their first messages are the warm-up
    lead_in: float = 7.5  # open loop: customers' first messages, before the measured seconds
    open_seconds: float = 15.0
    drain: float = 10.0
    journeys: int = 20
    journey_taps: int = 30
    journey_seconds: float = 60.0
    runaway: int = 80
    backlog: int = 200
    scale_rate: float = 45.0
    scale_seconds: float = 8.0

    @classmethod
    def quick(cls) -> Plan:
        return cls(sat_seconds=6.0, lead_in=5.0, open_seconds=8.0, drain=6.0, journey_taps=20,
                   journey_seconds=35.0, scale_seconds=5.0)


@dataclass
class Figure:
    goal: str
    name: str
    shopbot: str
    peer: str = ""
    target: str = ""
    ok: bool | None = None  # None: informational

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else "PASS" if self.ok else "MISS"


def fmt(value: float, digits: int = 0, unit: str = "") -> str:
    return "-" if value != value else f"{value:,.{digits}f}{unit}"  # nan (no data) prints as "-"


def at_most(value: float, target: float) -> bool:
    return value == value and value <= target  # nan is a miss


class Bench:
    """Everything the run starts; `close` stops all of it (also after errors and Ctrl-C)."""

    def __init__(self, args, plan: Plan):
        self.args, self.plan = args, plan
        self.procs = c.Processes(LOGS)
        self.graph = FakeGraph(None, c.PHONE_ID, c.DISPLAY, latency=0.0)
        self.deliveries: list[WebhookDeliveries] = []
        self.figures: list[Figure] = []
        self.outcomes: dict[str, tuple[Outcome, Outcome | None]] = {}
        self.shop: System | None = None
        self.peer: System | None = None
        self.floor: System | None = None
        self.scale: System | None = None
        self.scale_env: dict = {}
        self.rng = random.Random(SEED)

    def close(self) -> None:
        self.procs.stop_all()
        for d in self.deliveries:
            d.stop()
        self.graph.close()

    def figure(self, *args, **kw) -> None:
        self.figures.append(Figure(*args, **kw))

    def statuses_to(self, urls: list[str]) -> WebhookDeliveries:
        # Meta posts statuses whatever the answers do: enough threads that they never wait for a free one
        d = WebhookDeliveries(urls, c.APP_SECRET, threads=128, keep_alive=True)
        self.deliveries.append(d)
        return d

    # -- deployments -----------------------------------------------------------------------
    def shopbot_env(self, url: str, web_port: int, **values) -> dict:
        extra = {"REDIS_URL": REDIS_URL} if self.args.redis else {}
        return c.live_env(url, self.graph.url, f"http://127.0.0.1:{web_port}", **extra, **values)

    def start_web(self, name: str, app: str, env: dict, port: int, cwd: Path = c.ROOT) -> int:
        """gunicorn `app` as in the Procfile (2 workers x 4 gthread threads) on `port`; its pid (= group)."""
        web = self.procs.start(name, c.gunicorn_args(app, port), env, cwd=cwd)
        c.wait_http(f"http://127.0.0.1:{port}/healthz", 30, self.procs)
        return web.pid

    def start_workers(self, names: list[str], env: dict) -> list:
        workers = [self.procs.start(name, c.shopbot_worker_args(), env) for name in names]
        for name in names:
            c.wait_log(LOGS / f"{name}.log", "shopbot worker: sending", 30, self.procs)
        return workers

    def start_main(self, floor: bool) -> None:
        """shopbot (gunicorn 2x4 + one `shopbot worker`) and the pywa echo bot (gunicorn 2x4); with `floor`,
        the outbox echo bot too (gunicorn 2x4 + its sender)."""
        url = c.create_database(DB_MAIN)
        port = c.free_port()
        env = self.shopbot_env(url, port, SEND_RATE=FAST_SEND_RATE)
        c.shopbot_db_upgrade(env)
        web_pid = self.start_web("shopbot_gunicorn", "wsgi:app", env, port)
        (worker,) = self.start_workers(["shopbot_worker"], env)
        urls = [f"http://127.0.0.1:{port}/webhook"]
        self.shop = System("shopbot", urls, {"gunicorn": web_pid, "worker": worker.pid}, DB_MAIN,
                           self.statuses_to(urls))
        peer_env = c.child_env(ECHO_GRAPH_URL=self.graph.url, ECHO_APP_SECRET=c.APP_SECRET, ECHO_PHONE_ID=c.PHONE_ID)
        peer_port = c.free_port()
        peer_pid = self.start_web("pywa_gunicorn", "pywa_echo:app", peer_env, peer_port, cwd=c.BENCH)
        peer_urls = [f"http://127.0.0.1:{peer_port}/webhook"]
        self.peer = System("pywa echo", peer_urls, {"gunicorn": peer_pid}, None, self.statuses_to(peer_urls))
        if floor:
            self.start_floor()
        redis = f", REDIS_URL={REDIS_URL}" if self.args.redis else ""
        print(f"shopbot: live mode, gunicorn wsgi:app 2 workers x 4 threads + 1 `shopbot worker`, database {DB_MAIN},"
              f" shipped settings but SEND_RATE={FAST_SEND_RATE}{redis}\n"
              "pywa echo bot: gunicorn pywa_echo:app 2 workers x 4 threads, one text reply sent inside each request\n"
              f"fake Meta in this process: Graph API at {self.graph.url}, status webhooks sent/delivered/read"
              " after 0.1/0.4/2.0 s", flush=True)

    def start_floor(self) -> None:
        """The outbox echo bot (bench/outbox_echo.py): gunicorn 2x4 and its sender, on its own database."""
        import psycopg

        url = c.create_database(DB_FLOOR)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(outbox_echo.SCHEMA)
        env = c.child_env(ECHO_GRAPH_URL=self.graph.url, ECHO_APP_SECRET=c.APP_SECRET, ECHO_PHONE_ID=c.PHONE_ID,
                          ECHO_STORE_DSN=url)
        port = c.free_port()
        pid = self.start_web("floor_gunicorn", "outbox_echo:app", env, port, cwd=c.BENCH)
        sender = self.procs.start("floor_sender", [sys.executable, "outbox_echo.py", "sender"], env, cwd=c.BENCH)
        c.wait_log(LOGS / "floor_sender.log", "outbox echo sender: sending", 30, self.procs)
        urls = [f"http://127.0.0.1:{port}/webhook"]
        self.floor = System("outbox echo", urls, {"gunicorn": pid, "sender": sender.pid}, DB_FLOOR,
                            self.statuses_to(urls))
        print("the design's floor (phase 1): an echo bot shaped like shopbot at its cheapest (bench/outbox_echo.py):"
              " stored before the 200, an outbox row, a separate sender, statuses recorded; gunicorn 2 workers x 4"
              f" threads + its sender, database {DB_FLOOR}", flush=True)

    def stop_main(self) -> None:
        for name, proc in list(self.procs.children):
            if name.startswith(("shopbot_", "pywa_", "floor_")):
                self.procs.stop(proc)

    def start_scale(self) -> None:
        """Two gunicorn servers (2x4 each) on one fresh database; senders are started per phase."""
        url = c.create_database(DB_SCALE)
        ports = [c.free_port(), c.free_port()]
        self.scale_env = self.shopbot_env(url, ports[0])
        c.shopbot_db_upgrade(self.scale_env)
        groups = {f"web {n}": self.start_web(f"scale_gunicorn{n}", "wsgi:app", self.scale_env, port)
                  for n, port in enumerate(ports, 1)}
        urls = [f"http://127.0.0.1:{p}/webhook" for p in ports]
        self.scale = System("shopbot x2 web", urls, groups, DB_SCALE, self.statuses_to(urls))
        print(f"\nscale-out: two gunicorn servers (2 workers x 4 threads each) on :{ports[0]} and :{ports[1]},"
              f" database {DB_SCALE}; webhooks and status webhooks split between them", flush=True)

    def db(self, name: str):
        import psycopg

        return psycopg.connect(f"{c.PG_SERVER}/{name}", autocommit=True)

    # -- traffic helpers ----------------------------------------------------------------------
    def customers(self, tag: int, count: int) -> list[str]:
        return [f"34{tag:02d}{n:07d}" for n in range(count)]

    def new_shoppers(self, prefix: str, journey: bool = False) -> Shoppers:
        return Shoppers(self.graph, SEED, prefix, journey=journey)

    def warm_up(self) -> None:
        """2 s at 20 msg/s for each system, not counted: pools opened, SQL compiled, code paths run."""
        for n, system in enumerate(s for s in (self.shop, self.peer, self.floor) if s is not None):
            shoppers = Shoppers(self.graph, SEED, f"warm{n}")
            people = self.customers(90 + n, 40)
            open_run(system, self.graph, [i / 20 for i in range(40)],
                     lambda i, p=people, s=shoppers: s.next_message(p[i]), drain=3.0)
        print("warm-up: 2 s at 20 msg/s for each system (not counted)", flush=True)

    def open_pair(self, tag: int, rate: float, latency: float) -> tuple[Outcome, Outcome]:
        """The same open-loop schedule and bodies for shopbot (live taps) and then pywa (a replay)."""
        lead, seconds = self.plan.lead_in, self.plan.open_seconds
        people = self.customers(tag, int(rate * CUSTOMERS_PER_RATE))
        schedule = customer_schedule(people, lead + seconds, self.rng)
        due = [t for t, _ in schedule]
        shoppers = self.new_shoppers(f"open{tag}")
        self.graph.latency = latency
        shop = open_run(self.shop, self.graph, due, lambda i: shoppers.next_message(schedule[i][1]), self.plan.drain,
                        measure=(lead, lead + seconds))
        recorded = shop.messages

        def same(i: int) -> Message:
            """What shopbot got; past where an overloaded shopbot stopped, built the same way for each customer."""
            return recorded[i] if i < len(recorded) else shoppers.next_message(schedule[i][1])

        peer = open_run(self.peer, self.graph, due, same, self.plan.drain, measure=(lead, lead + seconds))
        self.graph.latency = 0.0
        return shop, peer

    # -- phase 1 ---------------------------------------------------------------------------------
    def saturation(self) -> None:
        p = self.plan
        print(f"\n1. saturation: {p.posters} posters in a closed loop, each waiting for the 200 and the customer's"
              f" first reply (at most 5 s) before its next message; {p.sat_customers} customers in turn (their first"
              f" messages are the warm-up), then {p.sat_seconds:g} s measured; the Graph API answers at once",
              flush=True)
        shoppers = self.new_shoppers("sat")
        people = self.customers(10, p.sat_customers)
        order = rounds(people, self.rng)
        lock = threading.Lock()
        recorded: list[Message] = []

        def next_shop() -> Message:
            with lock:
                wa_id = next(order)
            m = shoppers.next_message(wa_id)
            with lock:
                recorded.append(m)
            return m

        shop = closed_run(self.shop, self.graph, next_shop, p.posters, p.sat_customers, p.sat_seconds)

        def replay_to(system: System | None) -> Outcome:
            """shopbot's bodies again, in order, to `system`'s posters."""
            assert system is not None
            replay = replayed(recorded)

            def next_replayed() -> Message:
                with lock:
                    return next(replay)

            return closed_run(system, self.graph, next_replayed, p.posters, p.sat_customers, p.sat_seconds)

        peer, floor = replay_to(self.peer), replay_to(self.floor)
        self.outcomes["saturation"] = (shop, peer)
        for o in (shop, peer, floor):
            print(f"  {o.system}: {o.acked} customer messages + {o.statuses_acked} status webhooks acknowledged in"
                  f" {o.seconds:.1f} s = {o.webhooks_per_s:.1f} webhooks/s ({o.messages_per_s:.1f} customer msg/s);"
                  f" {o.replies_per_s:.1f} replies/s; {o.answered} of {len(o.measured)} answered; first reply p50"
                  f" {fmt(o.reply_ms(50))} ms, p90 {fmt(o.reply_ms(90))} ms after the webhook, p90"
                  f" {fmt(o.reply_after_ack_ms(90))} ms after its 200; ack p50 {fmt(o.ack_ms(50))} ms,"
                  f" p99 {fmt(o.ack_ms(99))} ms; {o.errors} errors; CPU {o.cpu_ms_per_message:.1f} ms per customer"
                  " message")
            print("  " + o.cpu_line().strip())
        print(f"  pywa got the same {len(recorded)} bodies in the same order"
              + (", replayed again (with new message ids) to fill its window" if len(peer.messages) > len(recorded)
                 else ""))
        keeps_pace = keep_pace(shop)
        self.figure("1", "webhooks/s acknowledged, replies keeping pace", fmt(shop.webhooks_per_s, 1),
                    fmt(peer.webhooks_per_s, 1), f">= 0.5 x pywa ({0.5 * peer.webhooks_per_s:.0f})",
                    shop.webhooks_per_s >= 0.5 * peer.webhooks_per_s and keeps_pace)
        self.figure("1", "  of which customer messages/s", fmt(shop.messages_per_s, 1), fmt(peer.messages_per_s, 1))
        self.figure("1", "  replies/s at the Graph API", fmt(shop.replies_per_s, 1), fmt(peer.replies_per_s, 1))
        self.figure("1", "  replies keep pace (99% answered, 1 s after 200)", "yes" if keeps_pace else "no",
                    "yes" if keep_pace(peer) else "no", "yes", keeps_pace)
        self.figure("1", "server CPU per customer message", fmt(shop.cpu_ms_per_message, 1, " ms"),
                    fmt(peer.cpu_ms_per_message, 1, " ms"), f"<= 2 x pywa ({2 * peer.cpu_ms_per_message:.1f} ms)",
                    shop.cpu_ms_per_message <= 2 * peer.cpu_ms_per_message)
        floor_cpu, floor_rate = floor.cpu_ms_per_message, floor.webhooks_per_s
        self.figure("1", "  the design's floor: outbox echo, CPU per message", "", fmt(floor_cpu, 1, " ms"),
                    f"{floor_cpu / peer.cpu_ms_per_message:.2f} x pywa")
        self.figure("1", "  the design's floor: outbox echo, webhooks/s", "", fmt(floor_rate, 1),
                    f"{floor_rate / peer.webhooks_per_s:.2f} x pywa")

    # -- phase 2 ---------------------------------------------------------------------------------
    def latency_and_cpu(self) -> None:
        p = self.plan
        print(f"\n2. open loop, {p.lead_in:g} s of lead-in (customers' first messages, not counted) then"
              f" {p.open_seconds:g} s measured per run, customers writing every 5-10 s"
              f" ({CUSTOMERS_PER_RATE:g} customers per msg/s); pywa gets the same bodies on the same schedule",
              flush=True)
        runs = [("100 msg/s", 20, 100.0, 0.0), ("80 msg/s", 21, 80.0, 0.0),
                ("80 msg/s, Graph API 150 ms", 22, 80.0, 0.15)]
        for label, tag, rate, latency in runs:
            shop, peer = self.open_pair(tag, rate, latency)
            self.outcomes[label] = (shop, peer)
            for o in (shop, peer):
                print(f"  {label}, {o.system}: {len(o.measured)} messages measured (of {len(o.messages)}),"
                      f" {len(o.measured) - o.errors} acked 200 ({o.errors} errors); ack p50 {fmt(o.ack_ms(50), 1)} ms,"
                      f" p99 {fmt(o.ack_ms(99), 1)} ms;"
                      f" webhook -> reply p50 {fmt(o.reply_ms(50), 1)} ms, p90 {fmt(o.reply_ms(90), 1)} ms;"
                      f" {o.answered} answered; {o.replies_per_s:.1f} replies/s; client lag p99 {fmt(o.lag_ms(99))} ms;"
                      f" stack {o.stack_cores:.2f} cores")
                if o.overloaded:
                    took = [r for r in o.results if r.ok]
                    span = max((r.finished for r in took), default=0.0) - min((r.started for r in took), default=0.0)
                    print(f"  OVERLOADED: the load stopped {o.stopped_at:.1f} s into the schedule, with"
                          f" {len(o.messages)} of {o.planned} messages posted: more than {OVERLOAD:g} s' worth were"
                          f" waiting for their 200; it acknowledged {len(took) / max(span, 0.1):.1f} msg/s")
                print("  " + o.cpu_line().strip())
            if rate == 100:
                self.pair("2", "100 msg/s: ack p99", shop, peer, lambda o: fmt(o.ack_ms(99), 1, " ms"), "<= 100 ms",
                          at_most(shop.ack_ms(99), 100))
                self.pair("2", "100 msg/s: webhook -> reply at Graph API p50", shop, peer,
                          lambda o: fmt(o.reply_ms(50), 1, " ms"), "<= 100 ms", at_most(shop.reply_ms(50), 100))
                self.pair("2", "100 msg/s: answered", shop, peer, lambda o: f"{o.answered}/{len(o.measured)}", "all",
                          shop.all_answered)
            elif latency == 0:
                self.pair("2", "80 msg/s: web+sender+PostgreSQL CPU (cores)", shop, peer,
                          lambda o: fmt(o.stack_cores, 2), "<= 1.0", at_most(shop.stack_cores, 1.0))
            else:
                def late(o: Outcome) -> float:
                    return float("nan") if o.overloaded else o.last_reply - o.window[1]

                self.pair("2", "80 msg/s, Graph 150 ms: webhook -> reply p50", shop, peer,
                          lambda o: fmt(o.reply_ms(50), 1, " ms"), "<= 300 ms", at_most(shop.reply_ms(50), 300))
                self.pair("2", "80 msg/s, Graph 150 ms: answered; last reply after", shop, peer,
                          lambda o: f"{o.answered}/{len(o.measured)}; {fmt(late(o), 1)} s", "all; <= 2 s",
                          shop.all_answered and at_most(late(shop), 2.0))

    def pair(self, goal: str, name: str, shop: Outcome, peer: Outcome, value, target: str, ok: bool) -> None:
        """A figure for both systems from one open-loop run; "*" marks a run stopped as overloaded (a miss)."""
        def cell(o: Outcome) -> str:
            return value(o) + ("*" if o.overloaded else "")

        self.figure(goal, name, cell(shop), cell(peer), target, ok and not shop.overloaded)

    # -- phase 3 ---------------------------------------------------------------------------------
    def workload(self) -> None:
        print("\n3. the workload: the measured customer messages of 1 and 2, as shopbot got them")
        pairs = list(self.outcomes.values())
        measured = [s.messages[i] for s, _ in pairs for i in s.measured]
        taps = sum(1 for m in measured if m.kind == "tap")
        fell_back = sum(1 for m in measured if m.fell_back)
        print(f"  {mix(measured)}; {fell_back} meant to tap but had nothing to tap (no answer yet), and typed")
        shop_msgs = sum(len(s.messages) for s, _ in pairs)
        shop_sends = sum(len(s.sends) for s, _ in pairs)
        peer_msgs = sum(len(p.messages) for _, p in pairs if p is not None)
        peer_sends = sum(len(p.sends) for _, p in pairs if p is not None)
        statuses = sum(s.statuses_posted for s, _ in pairs)
        print(f"  shopbot sent {shop_sends} messages for {shop_msgs} customer messages"
              f" ({shop_sends / max(1, shop_msgs):.2f} each), and got {statuses} status webhooks for them;"
              f" pywa sent {peer_sends} for {peer_msgs}")
        self.figure("3", "measured messages that tapped a real button/row", f"{taps}/{len(measured)}")
        self.figure("3", "replies per customer message", f"{shop_sends / max(1, shop_msgs):.2f}",
                    f"{peer_sends / max(1, peer_msgs):.2f}")
        self.figure("3", "status webhooks per reply (sent, delivered, read)", f"{statuses / max(1, shop_sends):.2f}")

    # -- phase 4 ---------------------------------------------------------------------------------
    def pacing(self) -> None:
        p = self.plan
        print(f"\n4. per-customer pacing: {p.journeys} customers on a {p.journey_taps}-tap journey (1.5 s after each"
              f" answer, at most {p.journey_seconds:g} s), and one customer sending {p.runaway} messages in a burst;"
              " shopbot's SEND_CUSTOMER_BURST / SEND_CUSTOMER_INTERVAL as shipped", flush=True)
        point_statuses(self.graph, self.shop)
        self.graph.reset()
        shoppers = self.new_shoppers("journey", journey=True)
        people = self.customers(40, p.journeys)
        runaway = self.customers(41, 1)[0]
        poster = c.Poster(timeout=30.0)
        url = self.shop.urls[0]
        start = time.monotonic()
        deadline = start + p.journey_seconds
        stop = threading.Event()
        taps = dict.fromkeys(people, 0)
        timeouts = []

        def journey(wa_id: str) -> None:
            for _ in range(p.journey_taps):
                if time.monotonic() > deadline or stop.is_set():
                    return
                m = shoppers.next_message(wa_id)
                replied = self.graph.waiter(m.recipient)
                replied.clear()
                status, _error = poster.post(url, m.body, c.signed_headers(m.body))
                taps[wa_id] += 1
                if status != 200 or not replied.wait(max(0.1, deadline - time.monotonic())):
                    timeouts.append(wa_id)
                    return
                stop.wait(1.5)

        def burst() -> None:
            texts = itertools.cycle(["hi", "menu", "thanks!"])
            bodies = [c.text_webhook(runaway, next(texts), f"wamid.runaway.{i:03d}") for i in range(p.runaway)]
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda b: poster.post(url, b, c.signed_headers(b)), bodies))

        threads = [threading.Thread(target=journey, args=(w,), daemon=True) for w in people]
        threads.append(threading.Thread(target=burst, daemon=True))
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join(timeout=max(0.0, deadline - time.monotonic()) + 35)
        finally:
            stop.set()
        time.sleep(max(0.0, deadline - time.monotonic()))
        rows = self.pacing_rows(people)
        done = sum(taps.values())
        print(f"  journeys: {done} of {p.journeys * p.journey_taps} taps done in {time.monotonic() - start:.0f} s"
              f" ({len(timeouts)} customers still waiting for an answer at the end)")
        delays, waiting = pacing_delays(rows)
        if delays:
            print(f"  pacing delay per answer (outbound_message sent_at - created_at, minus the"
                  f" {rows['baseline']:.0f} ms of an unpaced first answer): p50 {fmt(c.percentile(delays, 50), 2)} s,"
                  f" p90 {fmt(c.percentile(delays, 90), 2)} s, max {fmt(max(delays), 2)} s over {len(delays)} answers"
                  f" ({waiting} of them still unsent at the end: their wait so far)")
        mx = max(delays) if delays else float("nan")
        self.figure("4", "journeys: pacing delay per answer p50", fmt(c.percentile(delays, 50), 2, " s"))
        self.figure("4", "journeys: pacing delay per answer p90", fmt(c.percentile(delays, 90), 2, " s"))
        self.figure("4", "journeys: pacing delay per answer max", fmt(mx, 2, " s") + ("+" if waiting else ""), "",
                    "<= 1 s", at_most(mx, 1.0))
        self.figure("4", f"journeys: taps done in {p.journey_seconds:g} s", f"{done}/{p.journeys * p.journey_taps}")
        arrivals = [s.at for s in self.graph.sent_to(c.bsuid(runaway))]
        if arrivals:
            first, end = arrivals[0], time.monotonic()
            burst6 = sum(1 for t in arrivals if t < first + 6)
            later = sum(1 for t in arrivals if t >= first + 6)
            after = later / max(0.1, end - first - 6)
            print(f"  runaway customer: {p.runaway} messages in a burst; {len(arrivals)} sends reached the Graph API in"
                  f" {end - first:.0f} s: {burst6} in the first 6 s, then {later} ({after:.3f}/s)")
            self.figure("4", f"runaway ({p.runaway} msgs): sends in the first 6 s", str(burst6), "", "<= 46 (burst 45)",
                        burst6 <= 46)
            self.figure("4", "runaway: sends/s after the first 6 s", fmt(after, 3))
            # Meta's pair limit as a GCRA: by any time t after the first send, at most 45 + t/6 sends
            # (a burst not used at once is still owed, so the rate after 6 s alone says little).
            excess = max(i + 1 - (45 + (t - first) / 6) for i, t in enumerate(arrivals))
            self.figure("4", "runaway: most sends beyond 45 + t/6 s", fmt(max(excess, 0), 1), "", "<= 1",
                        excess <= 1)
        else:
            self.figure("4", "runaway: sends at the Graph API", "0", "", "some", False)

    def pacing_rows(self, people: list[str]) -> dict:
        """Each journey answer's longest wait in the outbox (sent_at, or now if unsent, minus created_at)."""
        recipients = [c.bsuid(w) for w in people]
        with self.db(DB_MAIN) as conn:
            rows = conn.execute(
                "SELECT recipient, cause, min(id), max(extract(epoch FROM coalesce(sent_at, now()) - created_at)),"
                "       bool_or(sent_at IS NULL)"
                " FROM outbound_message WHERE recipient = ANY(%s) GROUP BY recipient, cause ORDER BY min(id)",
                (recipients,)).fetchall()
        first: dict[str, float] = {}
        answers = []
        for recipient, _cause, _id, wait, unsent in rows:
            first.setdefault(recipient, float(wait))
            answers.append((float(wait), bool(unsent)))
        baseline = c.percentile(list(first.values()), 50) if first else 0.0
        return {"answers": answers, "baseline": baseline * 1000, "baseline_s": baseline}

    # -- phase 5 ---------------------------------------------------------------------------------
    def shared_rate(self) -> None:
        p = self.plan
        rate = 20
        shared = f"REDIS_URL={REDIS_URL}" if self.args.redis else "no REDIS_URL: shared through PostgreSQL"
        print(f"\n5. one send rate across senders: a backlog of {p.backlog} replies from {p.backlog} customers, then"
              f" two `shopbot worker` with SEND_RATE={rate} ({shared})", flush=True)
        point_statuses(self.graph, self.scale)
        self.graph.reset()
        people = self.customers(50, p.backlog)
        requests = [(w, c.text_webhook(w, "hi", f"wamid.backlog.{i:04d}")) for i, w in enumerate(people)]
        results = c.post_at(self.scale.urls, [i / 200 for i in range(len(requests))],
                            lambda i: (requests[i][0], requests[i][1], c.signed_headers(requests[i][1])))
        queued = self.count_unfinished()
        print(f"  {sum(r.ok for r in results)} webhooks acknowledged; {queued} replies queued; starting both senders")
        env = dict(self.scale_env, SEND_RATE=str(rate))
        workers = self.start_workers(["rate_worker1", "rate_worker2"], env)
        deadline = time.monotonic() + queued / rate * 2 + 15
        while len(self.graph.accepted()) < queued and time.monotonic() < deadline:
            time.sleep(0.2)
        for w in workers:
            self.procs.stop(w)
        sends = sorted(self.graph.accepted(), key=lambda s: s.at)
        arrivals = [s.at for s in sends]
        most = c.most_in_window(arrivals, 1.0)
        span = max(arrivals) - min(arrivals) if len(arrivals) > 1 else float("nan")
        print(f"  {len(arrivals)} sends in {fmt(span, 1)} s ({fmt(c.steady_rate(arrivals), 1)}/s steady); the most in"
              f" any 1 s: {most}")
        if most > rate and arrivals:
            self.show_densest_second(sends, arrivals)
        self.figure("5", f"2 senders, SEND_RATE={rate}: most sends in any 1 s", str(most), "", f"<= {rate}",
                    most <= rate)
        self.figure("5", "  sends/s, steady (10th-90th percentile)", fmt(c.steady_rate(arrivals), 1), "",
                    f"<= {rate}", at_most(c.steady_rate(arrivals), rate * 1.02))

    def show_densest_second(self, sends: list, arrivals: list[float]) -> None:
        """Over the rate: the densest second's arrivals (ms from its first, the sender's connection, the
        row), and this process's own GC pauses then (which would delay the times it recorded)."""
        first, last = c.densest_window(arrivals, 1.0)
        start = arrivals[first]
        print("  the densest second at the fake Graph API (ms, client port, tracker):", flush=True)
        for s in sends[max(first - 3, 0):last + 4]:
            print(f"    {1000 * (s.at - start):8.1f}  {s.client_port}  {s.tracker}")
        pauses = GC_PAUSES.between(start - 1.0, arrivals[last] + 0.5)
        print("  this process's GC pauses of 10 ms or more then:",
              ", ".join(f"{1000 * d:.0f} ms ending at {1000 * (t - start):.0f} ms" for t, d in pauses) or "none")

    def count_unfinished(self) -> int:
        with self.db(DB_SCALE) as conn:
            return conn.execute("SELECT count(*) FROM outbound_message WHERE status = ANY(%s)",
                                (list(UNFINISHED),)).fetchone()[0]

    # -- phase 6 ---------------------------------------------------------------------------------
    def scale_out(self) -> None:
        p = self.plan
        rate, concurrency, latency = 40, 4, 0.15
        print(f"\n6. scale-out: 2 web servers + 1 then 2 senders (SEND_RATE={rate}, SEND_CONCURRENCY={concurrency}:"
              f" one sender does at most {concurrency / latency:.1f}/s), the Graph API answering in"
              f" {latency * 1000:.0f} ms; {p.scale_rate:g} customer msg/s for {p.scale_seconds:g} s with the senders"
              " running, more replies than they can send: throughput is the rate draining the backlog", flush=True)
        env = dict(self.scale_env, SEND_RATE=str(rate), SEND_CONCURRENCY=str(concurrency))
        rates = {}
        for senders in (1, 2):
            names = [f"scale_worker{senders}_{n}" for n in range(1, senders + 1)]
            workers = self.start_workers(names, env)
            people = self.customers(60 + senders, int(p.scale_rate * CUSTOMERS_PER_RATE))
            schedule = customer_schedule(people, p.scale_seconds, self.rng)
            shoppers = self.new_shoppers(f"scale{senders}")
            self.graph.latency = latency
            groups = dict(self.scale.groups, **{f"sender {n}": w.pid for n, w in enumerate(workers, 1)})
            system = System(self.scale.name, self.scale.urls, groups, DB_SCALE, self.scale.statuses)
            out = open_run(system, self.graph, [t for t, _ in schedule],
                           lambda i, s=shoppers, sc=schedule: s.next_message(sc[i][1]), drain=5.0)
            settled = self.settle(60.0)
            sends = self.graph.accepted()
            for w in workers:
                self.procs.stop(w)
            self.graph.latency = 0.0
            check = self.scale_check(out, sends)
            arrivals = [s.at for s in sends]
            most = c.most_in_window(arrivals, 1.0)
            # the backlog's drain, once the load has ended: the web servers only take status webhooks then
            drained = [t for t in arrivals if t >= out.window[1]]
            steady = rates[senders] = c.steady_rate(drained)
            print(f"  {senders} sender(s): {len(out.messages)} messages, {check['stored']} stored"
                  f" ({check['twice']} twice), {check['answered']} answered, {check['lost']} lost; {len(sends)} sends"
                  f" ({check['dup_tracker']} duplicates by tracker, {check['dup_text']} by recipient and text over"
                  f" {check['compared']} sends); {fmt(c.steady_rate(arrivals), 1)} sends/s steady over the run,"
                  f" {fmt(steady, 1)}/s draining the backlog after the load ({len(drained)} sends); most in any"
                  f" 1 s {most}; "
                  + ("settled" if settled else "NOT settled within 60 s") + f"; ack p99 {fmt(out.ack_ms(99))} ms")
            print("  " + out.cpu_line().strip())
            label = f"{senders} sender{'s' if senders > 1 else ''}"
            n = len(out.messages)
            self.figure("6", f"{label}: messages stored, stored twice, answered",
                        f"{check['stored']}, {check['twice']}, {check['answered']}", "", f"{n}, 0, {n}",
                        check["stored"] == check["answered"] == n and not check["twice"])
            self.figure("6", f"{label}: lost / duplicate sends (tracker, text)",
                        f"{check['lost']} / {check['dup_tracker']}, {check['dup_text']}", "", "0 / 0, 0",
                        check["lost"] == check["dup_tracker"] == check["dup_text"] == 0)
            self.figure("6", f"{label}: most sends in any 1 s", str(most), "", f"<= {rate}", most <= rate)
            self.figure("6", f"{label}: sends/s draining a backlog", fmt(steady, 1), "",
                        f"~{concurrency / latency:.0f}/s per sender" if senders == 1 else
                        f">= 0.9 x min(2 x 1st, {rate})",
                        None if senders == 1 else
                        at_most(0.9 * min(2 * rates[1], rate), steady) if rates[1] == rates[1] else False)

    def settle(self, timeout: float) -> bool:
        """Until no outbox row is unfinished (every reply sent) and a moment has passed for the last answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count_unfinished() == 0:
                time.sleep(0.5)
                return True
            time.sleep(0.5)
        return False

    def scale_check(self, out: Outcome, sends: list) -> dict:
        """Counted from the database and the fake's record, not asked of shopbot."""
        wamids = [m.wamid for m in out.messages]
        with self.db(DB_SCALE) as conn:
            stored = dict(conn.execute("SELECT external_id, count(*) FROM inbound_event WHERE external_id = ANY(%s)"
                                       " GROUP BY external_id", (wamids,)).fetchall())
            rows = conn.execute("SELECT id, cause, recipient, body, status FROM outbound_message WHERE cause = ANY(%s)",
                                (wamids,)).fetchall()
        answered = {cause for _id, cause, _r, _b, status in rows if status in ("sent", "delivered", "read")}
        by_tracker: dict[str, int] = {}
        for s in sends:
            by_tracker[s.tracker] = by_tracker.get(s.tracker, 0) + 1
        ours = {f"outbox:{row_id}" for row_id, *_ in rows}
        expected: dict[tuple[str, str], int] = {}
        for _id, _cause, recipient, body, _status in rows:
            key = (recipient, body.get("text") or body.get("caption") or "")
            expected[key] = expected.get(key, 0) + 1
        seen: dict[tuple[str, str], int] = {}
        for s in sends:
            if s.tracker in ours:
                seen[(s.recipient, s.text)] = seen.get((s.recipient, s.text), 0) + 1
        compared = sum(n for k, n in seen.items() if k in expected)
        return {"stored": len(stored), "twice": sum(1 for n in stored.values() if n > 1),
                "answered": len(answered), "lost": len(wamids) - len(answered),
                "dup_tracker": sum(n - 1 for t, n in by_tracker.items() if t in ours and n > 1),
                "dup_text": sum(max(0, n - expected[k]) for k, n in seen.items() if k in expected),
                "compared": compared}

    # -- the table -----------------------------------------------------------------------------------
    def table(self) -> None:
        print("\n" + "=" * 118)
        print(f"{'goal':<4} {'figure':<50} {'shopbot':>16} {'pywa echo':>14}   {'target':<26} verdict")
        for f in self.figures:
            print(f"{f.goal:<4} {f.name:<50} {f.shopbot:>16} {f.peer:>14}   {f.target:<26} {f.verdict}")
        passed = sum(1 for f in self.figures if f.ok)
        missed = sum(1 for f in self.figures if f.ok is False)
        if any(f.shopbot.endswith("*") or f.peer.endswith("*") for f in self.figures):
            print(f"* overloaded: the open loop stopped early, when {OVERLOAD:g} s' worth of webhooks were waiting for"
                  " their 200 (a miss, whatever the figure)")
        print(f"{passed} PASS, {missed} MISS (informational: the exit status is 0 either way)")


def rounds(people: list[str], rng: random.Random):
    """The customers in turn, shuffled again for each round."""
    while True:
        order = people[:]
        rng.shuffle(order)
        yield from order


def replayed(recorded: list[Message]):
    """The recorded messages in order, then again with new message ids, for as long as asked."""
    for k in itertools.count():
        for m in list(recorded):
            if k == 0:
                yield m
            else:
                wamid = f"{m.wamid}.r{k}"
                yield Message(m.customer, wamid, m.kind, m.text, m.body.replace(m.wamid.encode(), wamid.encode()))


def keep_pace(o: Outcome) -> bool:
    """Replies keep up with acknowledgements: nearly every message answered, within 1 s of its 200."""
    return bool(o.measured) and o.answered >= 0.99 * len(o.measured) and at_most(o.reply_after_ack_ms(90), 1000)


def pacing_delays(rows: dict) -> tuple[list[float], int]:
    """Per answer: its wait beyond an unpaced first answer's, in seconds; and how many are still unsent."""
    base = rows["baseline_s"]
    return [max(0.0, wait - base) for wait, _unsent in rows["answers"]], sum(1 for _w, u in rows["answers"] if u)


def redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (about 3 minutes in all), for development")
    parser.add_argument("--redis", action="store_true", help=f"set REDIS_URL={REDIS_URL} for shopbot")
    parser.add_argument("--phases", default="1,2,3,4,5,6", help="which phases to run (default all: 1,2,3,4,5,6)")
    args = parser.parse_args()
    phases = {x.strip() for x in args.phases.split(",") if x.strip()}
    plan = Plan.quick() if args.quick else Plan()

    started = time.monotonic()
    c.exit_cleanly_on_signals()
    bench = Bench(args, plan)
    try:
        print("throughput: shopbot and the pywa echo bot side by side" + (" (--quick)" if args.quick else ""),
              flush=True)
        c.check_quiet()
        if args.redis and not redis_up():
            print(f"  WARNING: nothing answers at {REDIS_URL}; shopbot gets REDIS_URL anyway")
        if phases & {"1", "2", "3", "4"}:
            bench.start_main(floor="1" in phases)
            bench.warm_up()
            if "1" in phases:
                bench.saturation()
            if "2" in phases:
                bench.latency_and_cpu()
            if "3" in phases and bench.outcomes:
                bench.workload()
            if "4" in phases:
                bench.pacing()
            bench.stop_main()
        if phases & {"5", "6"}:
            bench.start_scale()
            if "5" in phases:
                bench.shared_rate()
            if "6" in phases:
                bench.scale_out()
        bench.table()
        print(f"\n(finished in {time.monotonic() - started:.0f} s; logs in {LOGS}; the databases {DB_MAIN},"
              f" {DB_FLOOR} and {DB_SCALE} are kept for inspection and dropped by the next run)")
    finally:
        bench.close()


if __name__ == "__main__":
    c.run_main(main)
