"""Meta's side of a benchmark: a Graph API that can fail, and webhooks retried until 200.

`FakeGraph` is a small threaded HTTP server on 127.0.0.1 that answers sends
like the Cloud API (a wamid on success, Meta's error JSON on failure; media
uploads get a media id) and, like Meta, posts signed status webhooks for every
message it accepted (`sent`, and as configured `delivered` and `read`), each
carrying the send's `biz_opaque_callback_data` (shopbot's tracker,
`outbox:<row id>`). It records every send with its payload, per recipient too,
so duplicates are counted per tracker and a benchmark's customers can answer
what they were sent. Its behaviour follows a timetable of windows: `error` (HTTP 500),
`slow` (accepted, answered after `slow_delay` seconds) and `hang` (the
request is read and never answered; the connection is closed when the
window ends). It can also hold the next accepted send (`arm_capture`) so the
benchmark can kill the sender that made it while the send is in flight.

`WebhookDeliveries` posts signed bodies to the app's `/webhook` and retries
each one with capped exponential back-off until it answers 200, as Meta
does, recording every answer. Everything is bounded: retries stop when the
deliveries are stopped, and every wait has a timeout. Bodies may be spread
over several URLs (several web servers), and posted on keep-alive connections.

bot/sandbox/fake_graph.py is not reused: it has no time windows, no hang and
chooses where to post from the request, which the chaos run must not do.
"""
from __future__ import annotations

import heapq
import http.client
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _common as c


# -- webhooks, retried like Meta ------------------------------------------------------
@dataclass
class Delivery:
    key: str
    raw: bytes
    due: float  # monotonic time of the first attempt
    url: str  # the web server it goes to (each body always to the same one, as behind a balancer)
    answers: list = field(default_factory=list)  # (monotonic time, HTTP status or error name)
    done_at: float | None = None  # when it was answered 200


class WebhookDeliveries:
    """POST each body to `url` at its due time, then again after 1, 2, 4... (at most `max_backoff`)
    seconds until the answer is 200. Requests are written from a pool of threads, so a slow answer
    never delays the next body."""

    def __init__(self, url: str | list[str], secret: str, threads: int = 16, timeout: float = 20.0,
                 max_backoff: float = 15.0, keep_alive: bool = False):
        self.urls = [url] if isinstance(url, str) else list(url)
        self.secret, self.timeout, self.max_backoff = secret, timeout, max_backoff
        self.poster = c.Poster(timeout) if keep_alive else None
        self._spread = itertools.count()
        self.deliveries: dict[str, Delivery] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self.inflight = 0
        self._threads = [threading.Thread(target=self._run, name=f"meta-webhook-{i}", daemon=True)
                         for i in range(threads)]
        for t in self._threads:
            t.start()

    def submit(self, key: str, raw: bytes, due: float | None = None, schedule: bool = True) -> Delivery:
        """Register a body; with `schedule`, post it at `due` (default: now) and retry until 200."""
        with self._cond:
            url = self.urls[next(self._spread) % len(self.urls)]
            d = self.deliveries[key] = Delivery(key, raw, time.monotonic() if due is None else due, url)
            if schedule:
                heapq.heappush(self._heap, (d.due, next(self._seq), key))
                self._cond.notify()
            return d

    def retry_later(self, key: str, delay: float) -> None:
        """Schedule another attempt for a body already tried outside the pool."""
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), key))
            self._cond.notify()

    def post_once(self, d: Delivery) -> int | str:
        """One attempt; records and returns the HTTP status or the error's name."""
        answer: int | str
        if self.poster is not None:
            status, error = self.poster.post(d.url, d.raw, c.signed_headers(d.raw, self.secret))
            answer = status if status is not None else (error or "error").split(":", 1)[0]
        else:
            host, port, path = c.split_url(d.url)
            try:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
                try:
                    conn.request("POST", path, d.raw, c.signed_headers(d.raw, self.secret))
                    resp = conn.getresponse()
                    resp.read()
                    answer = resp.status
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out: no 200, retry
                answer = type(exc).__name__
        t = time.monotonic()
        with self._cond:
            d.answers.append((t, answer))
            if answer == 200 and d.done_at is None:
                d.done_at = t
                d.raw = b""  # never posted again: let long runs keep only the record
        return answer

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(timeout=None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic()))
                if self._stopping:
                    return
                _due, _seq, key = heapq.heappop(self._heap)
                d = self.deliveries[key]
                self.inflight += 1
            try:
                answer = self.post_once(d)
                if answer != 200:
                    failures = sum(1 for _t, a in d.answers if a != 200)
                    self.retry_later(key, min(self.max_backoff, 2.0 ** (failures - 1)))
            finally:
                with self._cond:
                    self.inflight -= 1

    def unfinished(self) -> int:
        """Bodies not answered 200 yet (waiting, in flight or to be retried)."""
        with self._cond:
            return sum(1 for d in self.deliveries.values() if d.done_at is None)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout=self.timeout + 1)


# -- the Graph API -----------------------------------------------------------------------
@dataclass
class Send:
    at: float  # monotonic time the request arrived
    mode: str  # normal | slow | error | hang
    tracker: str | None
    recipient: str | None
    wamid: str | None  # set when the send was accepted (Meta would deliver it)
    client_port: int
    payload: dict = field(default_factory=dict)  # the message as the sender posted it

    @property
    def text(self) -> str:
        """What the customer reads: the text, the interactive body or the caption."""
        p = self.payload
        kind = p.get("type")
        if kind == "text":
            return (p.get("text") or {}).get("body") or ""
        if kind == "interactive":
            return ((p.get("interactive") or {}).get("body") or {}).get("text") or ""
        return (p.get(kind) or {}).get("caption") or "" if isinstance(kind, str) else ""


def status_webhook(phone_id: str, display: str, wamid: str, status: str, recipient: str | None,
                   tracker: str | None) -> bytes:
    """A Meta-format status webhook (tests/data/meta/message_status.json) for one accepted send: the
    contact carries the customer's phone and BSUID, as in Meta's current samples (pywa needs it)."""
    phone = c.phone_of(recipient or "")
    entry: dict = {"id": wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": phone}
    if status in ("sent", "delivered"):
        entry["conversation"] = {"id": "bench-conversation", "origin": {"type": "service"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if tracker is not None:
        entry["biz_opaque_callback_data"] = tracker
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display, "phone_number_id": phone_id},
            "contacts": [{"profile": {"name": "Bench Customer"}, "wa_id": phone, "user_id": recipient}],
            "statuses": [entry]}}]}]}
    return json.dumps(body).encode()


class FakeGraph:
    """The Cloud API's /messages (and /media) endpoints on 127.0.0.1, following a timetable of
    failure windows.

    `windows` is a list of (start, end, mode) in time.monotonic() seconds; outside them the API
    answers in `latency` seconds (which may be changed between runs). Every accepted send is followed
    by signed status webhooks, one per (status, delay) of `status_steps` (default: `sent` after
    `status_delay`), posted through `statuses` (a WebhookDeliveries pointed at the app's /webhook,
    which may be replaced between runs; None posts none).
    """

    def __init__(self, statuses: WebhookDeliveries | None, phone_id: str, display: str,
                 latency: float = 0.15, slow_delay: float = 40.0, status_delay: float = 0.3,
                 status_steps: tuple[tuple[str, float], ...] | None = None):
        self.statuses, self.phone_id, self.display = statuses, phone_id, display
        self.latency, self.slow_delay = latency, slow_delay
        self.status_steps = status_steps or (("sent", status_delay),)
        self.windows: list[tuple[float, float, str]] = []
        self.sends: list[Send] = []
        self.receipts = 0  # read receipts answered (not sends: no wamid, no status webhooks)
        self.by_recipient: dict[str | None, list[Send]] = {}
        self.uploads = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._seq = itertools.count(1)
        self._waiters: dict[str, threading.Event] = {}
        self._capture_armed = False
        self.captured: Send | None = None
        self.capture_event = threading.Event()  # set when a send is being held
        self.release_event = threading.Event()  # set to let the held send answer
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                fake._handle(self)

            def log_message(self, *_args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request, client_address):
                pass  # clients that gave up (timeouts, killed senders) are expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-graph", daemon=True)
        self.thread.start()

    # -- timetable and capture ---------------------------------------------------------
    def mode_at(self, t: float) -> str:
        for start, end, mode in self.windows:
            if start <= t < end:
                return mode
        return "normal"

    def window_end(self, t: float) -> float:
        return next((end for start, end, _m in self.windows if start <= t < end), t)

    def arm_capture(self) -> None:
        """Hold the next accepted send (after accepting it) until `release_event` is set."""
        with self.lock:
            self.captured, self._capture_armed = None, True
            self.capture_event.clear()
            self.release_event.clear()

    # -- serving -------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        parts = h.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 3 and parts[2] == "media":  # an upload (our own invoice PDFs)
            with self.lock:
                self.uploads += 1
            self.stopping.wait(self.latency)
            return self._answer(h, 200, {"id": f"media.bench.{next(self._seq):06d}"})
        if len(parts) != 3 or parts[2] != "messages":
            unknown = {"message": "Unknown path", "code": 100, "type": "GraphMethodException"}
            return self._answer(h, 404, {"error": unknown})
        try:
            payload = json.loads(raw)
        except ValueError:
            return self._answer(h, 400, {"error": {"message": "Invalid JSON", "code": 100, "type": "OAuthException"}})
        if payload.get("status") == "read" and "message_id" in payload:
            # A read receipt (the customer's ticks turn blue) is not a message: Meta answers
            # {"success": true}, with no wamid and no status webhooks to follow.
            with self.lock:
                self.receipts += 1
            self.stopping.wait(self.latency)
            return self._answer(h, 200, {"success": True})
        mode = self.mode_at(arrived)
        send = Send(arrived, mode, payload.get("biz_opaque_callback_data"),
                    payload.get("to") or payload.get("recipient"), None, h.client_address[1], payload)
        with self.lock:
            self.sends.append(send)
        if mode == "error":
            self.stopping.wait(self.latency)
            return self._answer(h, 500, {"error": {
                "message": "(#131000) Something went wrong", "type": "OAuthException", "code": 131000,
                "error_data": {"messaging_product": "whatsapp", "details": "Something went wrong"},
                "fbtrace_id": "chaos"}})
        if mode == "hang":  # read, never answered; the connection is dropped when the window ends
            self.stopping.wait(max(0.0, self.window_end(arrived) - time.monotonic()))
            h.close_connection = True
            return None
        send.wamid = f"wamid.bench.{next(self._seq):06d}.{os.urandom(4).hex()}"
        with self.lock:
            self.by_recipient.setdefault(send.recipient, []).append(send)
            waiter = self._waiters.get(send.recipient or "")
            capture, self._capture_armed = self._capture_armed, False
            if capture:
                self.captured = send
        if waiter is not None:
            waiter.set()
        for status, delay in self.status_steps if self.statuses is not None else ():
            self.statuses.submit(f"{status}:{send.wamid}", status_webhook(
                self.phone_id, self.display, send.wamid, status, send.recipient, send.tracker),
                due=arrived + delay)
        if capture:
            self.capture_event.set()
            self.release_event.wait(timeout=30)
        self.stopping.wait(self.slow_delay if mode == "slow" else self.latency)
        return self._answer(h, 200, {"messaging_product": "whatsapp",
                                     "contacts": [{"input": send.recipient, "wa_id": send.recipient}],
                                     "messages": [{"id": send.wamid}]})

    def _answer(self, h: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(raw)))
            h.end_headers()
            h.wfile.write(raw)
        except OSError:  # the sender gave up or was killed: Meta does not care
            h.close_connection = True

    # -- waiting ---------------------------------------------------------------------------
    def waiter(self, recipient: str) -> threading.Event:
        """An event set (from now on) whenever a send to `recipient` is accepted; clear it to wait again."""
        with self.lock:
            return self._waiters.setdefault(recipient, threading.Event())

    # -- reading -------------------------------------------------------------------------
    def sent_to(self, recipient: str) -> list[Send]:
        """The accepted sends to `recipient`, in arrival order."""
        with self.lock:
            return list(self.by_recipient.get(recipient, ()))

    def accepted(self) -> list[Send]:
        with self.lock:
            return [s for s in self.sends if s.wamid is not None]

    def accepted_by_tracker(self) -> dict[str | None, list[Send]]:
        out: dict[str | None, list[Send]] = {}
        for s in self.accepted():
            out.setdefault(s.tracker, []).append(s)
        return out

    def counts(self) -> dict[str, int]:
        """Requests by what happened to them: accepted (normal/slow), refused (500), hung."""
        with self.lock:
            out: dict[str, int] = {}
            for s in self.sends:
                kind = {"error": "refused with HTTP 500", "hang": "hung (read, never answered)",
                        "slow": f"accepted, answered after {self.slow_delay:g} s"}.get(s.mode, "accepted")
                out[kind] = out.get(kind, 0) + 1
            return out

    def reset(self) -> None:
        """Forget every send (between runs; waiters stay registered)."""
        with self.lock:
            self.sends.clear()
            self.by_recipient.clear()
            self.uploads = 0

    def close(self) -> None:
        self.stopping.set()
        self.release_event.set()
        self.server.shutdown()
        self.server.server_close()


def pid_of_client(port: int, pids: list[int]) -> int | None:
    """Which of `pids` owns the TCP connection whose local (client) port on 127.0.0.1 is `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{cols[9]}]")
        except OSError:
            continue
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None
