"""Runs of customer traffic for bench/throughput.py, and what came of each.

A run sends customer messages to one system (shopbot, or the pywa echo bot) while fake
Meta (bench/_fake_meta.py, in this process) answers its sends and posts the status
webhooks for them. Two shapes:

  open loop    messages leave on a fixed schedule, whatever the answers do (`open_run`);
  closed loop  N posters, each posting its next message as soon as the last one was
               answered: acknowledged 200 and its first reply received by the fake
               Graph API (`closed_run`).

The load generator and the fake Graph API share this process's monotonic clock
(perf_counter is the same clock on Linux), so "webhook -> reply" is timed from writing
the webhook to the fake receiving the first send to that customer after it. CPU is
read from /proc for the system's process groups and its PostgreSQL database only.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import _common as c
from _fake_meta import FakeGraph, Send, WebhookDeliveries
from _shoppers import Message

STATUS_STEPS = (("sent", 0.1), ("delivered", 0.4), ("read", 2.0))  # after Meta accepted a send
REPLY_TIMEOUT = 5.0  # a closed-loop poster waits this long for a first reply, then moves on
STALL = 2.0  # a drain stops waiting when no reply came for this long
ACK_TIMEOUT = 10.0  # a webhook not answered this soon is an error (and Meta would send it again)
OVERLOAD = 2.0  # an open loop stops when this many seconds' worth of webhooks wait for their answers
IDLE = 0.15  # cores: below this the system has worked off what a run left behind
SELF = "load generator + fake Meta (this process)"


@dataclass
class System:
    """What receives the traffic: its webhook URL(s), the processes whose CPU is its own, and
    its PostgreSQL database (None: it uses none)."""

    name: str
    urls: list[str]
    groups: dict[str, int]
    database: str | None
    statuses: WebhookDeliveries  # fake Meta's status webhooks to this system

    def cpu_sample(self) -> dict:
        return c.cpu_sample(self.groups, self.database)


@dataclass
class Outcome:
    """One run: every message with its webhook's answer and its first reply, and the window's CPU."""

    system: str
    messages: list[Message]
    results: list[c.Result]
    window: tuple[float, float]  # monotonic start and end of the measurement
    cpu: dict[str, float]  # CPU seconds per part during the window (see c.cpu_between)
    sends: list[Send] = field(default_factory=list)  # every send the fake Graph API accepted in the run
    reply_at: list[float | None] = field(default_factory=list)  # per message: its first reply's arrival
    statuses_acked: int = 0  # status webhooks answered 200 inside the window
    statuses_posted: int = 0
    last_reply: float = math.nan  # when the run's last reply arrived
    planned: int = 0  # messages the schedule had (more than were posted when the load stopped early)
    stopped_at: float = math.nan  # seconds into the schedule when an overloaded open loop stopped

    @property
    def overloaded(self) -> bool:
        return len(self.messages) < self.planned

    # -- the window -------------------------------------------------------------------
    @property
    def seconds(self) -> float:
        return self.window[1] - self.window[0]

    def in_window(self, t: float) -> bool:
        return self.window[0] <= t < self.window[1]

    @property
    def measured(self) -> list[int]:
        """Indexes of the messages due (open loop) or posted (closed loop) inside the window; all of
        them when an overloaded open loop stopped early (maybe before the window)."""
        if self.overloaded:
            return list(range(len(self.results)))
        return [i for i, r in enumerate(self.results) if self.in_window(r.scheduled)]

    # -- webhooks ---------------------------------------------------------------------
    @property
    def acked(self) -> int:
        return sum(1 for i in self.measured if self.results[i].ok)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.measured if not self.results[i].ok)

    @property
    def webhooks_per_s(self) -> float:
        """Customer messages and status webhooks answered 200 a second in the window."""
        return (self.acked + self.statuses_acked) / self.seconds

    @property
    def messages_per_s(self) -> float:
        return self.acked / self.seconds

    def ack_ms(self, p: float) -> float:
        return c.percentile([self.results[i].latency * 1000 for i in self.measured if self.results[i].ok], p)

    def lag_ms(self, p: float) -> float:
        return c.percentile([self.results[i].lag * 1000 for i in self.measured], p)

    # -- replies ------------------------------------------------------------------------
    def reply_ms(self, p: float) -> float:
        """Webhook written -> first reply at the fake Graph API, over the measured messages."""
        return c.percentile([(self.reply_at[i] - self.results[i].started) * 1000 for i in self.measured
                             if self.reply_at[i] is not None], p)

    def reply_after_ack_ms(self, p: float) -> float:
        """First reply at the fake Graph API -> the webhook's 200 (negative: replied before the 200)."""
        return c.percentile([(self.reply_at[i] - self.results[i].finished) * 1000 for i in self.measured
                             if self.reply_at[i] is not None], p)

    @property
    def answered(self) -> int:
        """Measured messages that got a reply."""
        return sum(1 for i in self.measured if self.reply_at[i] is not None)

    @property
    def replies_per_s(self) -> float:
        return sum(1 for s in self.sends if self.in_window(s.at)) / self.seconds

    @property
    def replies_per_message(self) -> float:
        return len(self.sends) / max(1, len(self.messages))

    @property
    def all_answered(self) -> bool:
        """Every message of the run (measured or not) was acknowledged and got a reply."""
        return all(r.ok for r in self.results) and all(at is not None for at in self.reply_at)

    # -- CPU ----------------------------------------------------------------------------
    @property
    def stack_cpu(self) -> float:
        """CPU seconds of the system itself (web, sender, PostgreSQL) in the window."""
        return sum(v for k, v in self.cpu.items() if k not in (SELF, "machine", "interrupts"))

    @property
    def stack_cores(self) -> float:
        return self.stack_cpu / self.seconds

    @property
    def cpu_ms_per_message(self) -> float:
        return 1000 * self.stack_cpu / max(1, self.acked)

    def cpu_line(self) -> str:
        return c.cpu_text(self.cpu, self.seconds)


class CpuWindow:
    """Samples a system's CPU at `start` and at `end` (monotonic; None: now, and when closed) in a
    thread, so a run that blocks until its last answer still measures exactly its window."""

    def __init__(self, system: System, start: float | None = None, end: float | None = None):
        self.system = system
        self.start = time.monotonic() if start is None else start
        self.end = end
        self.before = self.after = None
        if start is None:
            self.before = system.cpu_sample()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        if self.before is None:
            if self._cancelled.wait(max(0.0, self.start - time.monotonic())):
                return
            self.before = self.system.cpu_sample()
        if self.end is not None:
            if self._cancelled.wait(max(0.0, self.end - time.monotonic())):
                return
            self.after = self.system.cpu_sample()

    def cancel(self) -> None:
        self._cancelled.set()
        self._thread.join()

    def close(self) -> tuple[tuple[float, float], dict[str, float]]:
        self._thread.join()
        if self.after is None:
            self.end, self.after = time.monotonic(), self.system.cpu_sample()
        return (self.start, self.end), c.cpu_between(self.before, self.after, SELF)


def point_statuses(graph: FakeGraph, system: System) -> None:
    """Fake Meta posts the status webhooks of the next sends to `system`."""
    graph.statuses = system.statuses
    graph.status_steps = STATUS_STEPS


def open_run(system: System, graph: FakeGraph, due: list[float], make: Callable[[int], Message],
             drain: float, measure: tuple[float, float] | None = None, concurrency: int = 1200) -> Outcome:
    """Post message i `due[i]` s from now (open loop), `make(i)` building it when due; then wait
    up to `drain` s for the replies. Only messages due in `measure` (from, to: seconds of the
    schedule; default all of it) are counted, and the CPU is that span's. When OVERLOAD seconds'
    worth of webhooks wait for their answers, the load stops there (the run is `overloaded`)."""
    point_statuses(graph, system)
    graph.reset()
    messages: list[Message | None] = [None] * len(due)

    def build(i: int) -> tuple[str, bytes, dict]:
        m = messages[i] = make(i)
        return m.wamid, m.body, c.signed_headers(m.body)

    lo, hi = measure or (0.0, due[-1] if due else 0.0)
    rate = len(due) / max(due[-1], 1.0) if due else 1.0
    t0 = time.monotonic() + 0.05  # post_at's start
    from_start = system.cpu_sample()
    cpu = CpuWindow(system, start=t0 + lo, end=t0 + hi)
    results = c.post_at(system.urls, due, build, concurrency=concurrency, timeout=ACK_TIMEOUT,
                        max_waiting=max(50, int(rate * OVERLOAD)))
    posted = [m for m in messages if m is not None]
    if len(posted) < len(due):  # overloaded: the figures are over the load as it ran, to its last answer
        cpu.cancel()
        window, used = (t0, time.monotonic()), c.cpu_between(from_start, system.cpu_sample(), SELF)
    else:
        window, used = cpu.close()
    out = finish(system, graph, posted, results, window, used, drain, planned=len(due))
    if out.overloaded:
        out.stopped_at = due[len(out.messages)]
    return out


def closed_run(system: System, graph: FakeGraph, next_message: Callable[[], Message | None], posters: int,
               warm: int, seconds: float, wait_reply: bool = True) -> Outcome:
    """`posters` threads each post a message, wait for its 200 and (with `wait_reply`) for the
    customer's first reply at the fake Graph API, and post the next one; the first `warm` messages
    are not counted (at most 60 s of them), then `seconds` are measured. `next_message` returns
    None when there is no more."""
    point_statuses(graph, system)
    graph.reset()
    poster = c.Poster(timeout=30.0)
    lock = threading.Lock()
    done: list[tuple[Message, c.Result]] = []
    stop = threading.Event()

    def loop(n: int) -> None:
        url = system.urls[n % len(system.urls)]
        while not stop.is_set():
            m = next_message()
            if m is None:
                return
            replied = graph.waiter(m.recipient)
            replied.clear()
            started, wall = time.perf_counter(), time.time()
            status, error = poster.post(url, m.body, c.signed_headers(m.body))
            result = c.Result(0, m.wamid, started, started, time.perf_counter(), wall, status, error)
            with lock:
                done.append((m, result))
            if wait_reply and status == 200:
                replied.wait(REPLY_TIMEOUT)

    threads = [threading.Thread(target=loop, args=(n,), daemon=True, name=f"poster-{n}") for n in range(posters)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while len(done) < warm and time.monotonic() < deadline and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        cpu = CpuWindow(system)
        stop.wait(seconds)
        window, used = cpu.close()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=35)
    with lock:
        pairs = sorted(done, key=lambda mr: mr[1].started)
    return finish(system, graph, [m for m, _ in pairs], [r for _, r in pairs], window, used, drain=3.0)


def finish(system: System, graph: FakeGraph, messages: list[Message], results: list[c.Result],
           window: tuple[float, float], cpu: dict[str, float], drain: float, planned: int | None = None) -> Outcome:
    """Wait for late replies (at most `drain` s, less when none comes for STALL s), then match each
    message to the first send to its customer after it was posted (and before their next one)."""
    by_key = {r.key: r for r in results}
    results = [by_key[m.wamid] for m in messages]
    out = Outcome(system.name, messages, results, window, cpu,
                  planned=len(messages) if planned is None else planned)
    deadline, seen, progress = time.monotonic() + drain, -1, time.monotonic()
    while True:
        match_replies(out, graph)
        if out.answered == len(messages) or time.monotonic() > deadline:
            break
        if out.answered != seen:
            seen, progress = out.answered, time.monotonic()
        elif time.monotonic() - progress > STALL:
            break
        time.sleep(0.2)
    out.sends = graph.accepted()
    out.last_reply = max((s.at for s in out.sends), default=math.nan)
    settle = time.monotonic() + max(s for _status, s in STATUS_STEPS) + 3.0
    while system.statuses.unfinished() and time.monotonic() < settle:  # the next run starts quiet
        time.sleep(0.2)
    ours = {s.wamid for s in out.sends}
    deliveries = [d for d in list(system.statuses.deliveries.values()) if d.key.split(":", 1)[1] in ours]
    out.statuses_acked = sum(1 for d in deliveries if d.done_at is not None and out.in_window(d.done_at))
    out.statuses_posted = len(deliveries)
    wait_idle(system)
    return out


def wait_idle(system: System, timeout: float = 30.0) -> bool:
    """Until the system uses less than IDLE cores (it has worked off what the run queued), at most
    `timeout` s, so the next run starts on a quiet machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = system.cpu_sample()
        time.sleep(0.5)
        used = c.cpu_between(before, system.cpu_sample(), SELF)
        if sum(v for k, v in used.items() if k not in (SELF, "machine", "interrupts")) / 0.5 < IDLE:
            return True
    return False


def match_replies(out: Outcome, graph: FakeGraph) -> None:
    """Fill `out.reply_at`: per message, the first accepted send to its customer at or after the
    webhook was written and before the customer's next message."""
    by_customer: dict[str, list[int]] = {}
    for i, m in enumerate(out.messages):
        by_customer.setdefault(m.recipient, []).append(i)
    reply_at: list[float | None] = [None] * len(out.messages)
    for recipient, indexes in by_customer.items():
        arrivals = [s.at for s in graph.sent_to(recipient)]
        indexes.sort(key=lambda i: out.results[i].started)
        for n, i in enumerate(indexes):
            start = out.results[i].started
            end = out.results[indexes[n + 1]].started if n + 1 < len(indexes) else math.inf
            reply_at[i] = next((t for t in arrivals if start <= t < end), None)
    out.reply_at = reply_at


def customer_schedule(customers: list[str], seconds: float, rng, every: tuple[float, float] = (5.0, 10.0)
                      ) -> list[tuple[float, str]]:
    """When each customer writes in `seconds`: every U(5, 10) s, starting at a random point of its
    first interval (so the aggregate rate is steady from the start), sorted by time."""
    schedule = []
    for wa_id in customers:
        t = rng.uniform(0, rng.uniform(*every))
        while t < seconds:
            schedule.append((t, wa_id))
            t += rng.uniform(*every)
    schedule.sort()
    return schedule
