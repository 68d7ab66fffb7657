"""Meta's side of a chaos run: a Graph API that can fail, and webhooks retried until 200.

`FakeGraph` is a small threaded HTTP server on 127.0.0.1 that answers sends
like the Cloud API (a wamid on success, Meta's error JSON on failure) and,
like Meta, posts a signed `sent` status webhook for every message it accepted,
carrying the send's `biz_opaque_callback_data` (shopbot's tracker,
`outbox:<row id>`). It records every send, so duplicates are counted per
tracker. Its behaviour follows a timetable of windows: `error` (HTTP 500),
`slow` (accepted, answered after `slow_delay` seconds) and `hang` (the
request is read and never answered; the connection is closed when the
window ends). It can also hold the next accepted send (`arm_capture`) so the
benchmark can kill the sender that made it while the send is in flight.

`WebhookDeliveries` posts signed bodies to the app's `/webhook` and retries
each one with capped exponential back-off until it answers 200, as Meta
does, recording every answer. Everything is bounded: retries stop when the
deliveries are stopped, and every wait has a timeout.

bot/sandbox/fake_graph.py is not reused: it has no time windows, no hang and
chooses where to post from the request, which the chaos run must not do.
"""
from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sign(raw: bytes, secret: str) -> dict:
    return {"Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}


# -- webhooks, retried like Meta ------------------------------------------------------
@dataclass
class Delivery:
    key: str
    raw: bytes
    due: float  # monotonic time of the first attempt
    answers: list = field(default_factory=list)  # (monotonic time, HTTP status or error name)
    done_at: float | None = None  # when it was answered 200


class WebhookDeliveries:
    """POST each body to `url` at its due time, then again after 1, 2, 4... (at most `max_backoff`)
    seconds until the answer is 200. Requests are written from a pool of threads, so a slow answer
    never delays the next body."""

    def __init__(self, url: str, secret: str, threads: int = 16, timeout: float = 20.0, max_backoff: float = 15.0):
        rest = url.split("://", 1)[1]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.partition(":")
        self.host, self.port, self.path = host, int(port), "/" + path
        self.secret, self.timeout, self.max_backoff = secret, timeout, max_backoff
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
            d = self.deliveries[key] = Delivery(key, raw, time.monotonic() if due is None else due)
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
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                conn.request("POST", self.path, d.raw, sign(d.raw, self.secret))
                resp = conn.getresponse()
                resp.read()
                answer: int | str = resp.status
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out: no 200, retry
            answer = type(exc).__name__
        t = time.monotonic()
        with self._cond:
            d.answers.append((t, answer))
            if answer == 200 and d.done_at is None:
                d.done_at = t
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


class FakeGraph:
    """The Cloud API's /messages endpoint on 127.0.0.1, following a timetable of failure windows.

    `windows` is a list of (start, end, mode) in time.monotonic() seconds; outside them the API
    answers in `latency` seconds. Every accepted send is followed by a signed `sent` status webhook,
    posted through `statuses` (a WebhookDeliveries pointed at the app's /webhook).
    """

    def __init__(self, statuses: WebhookDeliveries, phone_id: str, display: str,
                 latency: float = 0.15, slow_delay: float = 40.0, status_delay: float = 0.3):
        self.statuses, self.phone_id, self.display = statuses, phone_id, display
        self.latency, self.slow_delay, self.status_delay = latency, slow_delay, status_delay
        self.windows: list[tuple[float, float, str]] = []
        self.sends: list[Send] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._seq = itertools.count(1)
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
        parts = h.path.strip("/").split("/")
        if len(parts) != 3 or parts[2] != "messages":
            unknown = {"message": "Unknown path", "code": 100, "type": "GraphMethodException"}
            return self._answer(h, 404, {"error": unknown})
        try:
            payload = json.loads(raw)
        except ValueError:
            return self._answer(h, 400, {"error": {"message": "Invalid JSON", "code": 100, "type": "OAuthException"}})
        mode = self.mode_at(arrived)
        send = Send(arrived, mode, payload.get("biz_opaque_callback_data"),
                    payload.get("to") or payload.get("recipient"), None, h.client_address[1])
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
        send.wamid = f"wamid.chaos.{next(self._seq):06d}.{os.urandom(4).hex()}"
        self._post_status(send)
        with self.lock:
            capture, self._capture_armed = self._capture_armed, False
            if capture:
                self.captured = send
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

    def _post_status(self, send: Send) -> None:
        status = {"id": send.wamid, "status": "sent", "timestamp": str(int(time.time())),
                  "recipient_id": send.recipient}
        if send.tracker is not None:
            status["biz_opaque_callback_data"] = send.tracker
        body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": self.display, "phone_number_id": self.phone_id},
                "statuses": [status]}}]}]}
        self.statuses.submit(f"status:{send.wamid}", json.dumps(body).encode(),
                             due=time.monotonic() + self.status_delay)

    # -- reading -------------------------------------------------------------------------
    def accepted_by_tracker(self) -> dict[str | None, list[Send]]:
        with self.lock:
            out: dict[str | None, list[Send]] = {}
            for s in self.sends:
                if s.wamid is not None:
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
