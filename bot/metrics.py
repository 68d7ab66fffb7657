"""Prometheus metrics: `GET /metrics`, what the hot path counts, and what is read at scrape time.

Two kinds of figures, kept apart on purpose:

- **Counted in the process** where things happen, cheaply (a lock and a few
  additions; no database): the webhook's ack latency, the engine's step time,
  the sender's send latency and outcomes by Meta's error code. Under gunicorn
  every worker counts its own; prometheus_client's multiprocess mode
  (`PROMETHEUS_MULTIPROC_DIR`, set by `gunicorn.conf.py`) keeps them in files
  that any worker's `/metrics` adds up, so a scrape does not depend on which
  worker answers it.
- **Read from the database at scrape time** (`StatusCollector`, the figures of
  `shopbot status`): outbox depth by status, the oldest waiting reply, the
  circuit. Those are right whichever process sends, and cost the hot path nothing.

`/metrics` is an operator's page and must not be public: live it needs
`Authorization: Bearer $METRICS_TOKEN`, and without a METRICS_TOKEN it
answers 503 "not configured", like `/api` without SHOP_API_TOKEN. The sandbox
serves it to anyone (it is for this machine only). `shopbot worker` can serve
its own process's figures on METRICS_PORT (`serve`) when it runs on a host
that does not share the web's multiprocess directory.

Nothing happens at import: the instruments are made on first use in each
process (so a CLI command that counts nothing writes no files), `register`
wires the view and the webhook's timing hooks into an app.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.context_managers import Timer
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer, choose_encoder, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import status
from bot.db import transaction
from bot.errors import ConfigError
from bot.models import OutboundStatus, utcnow
from bot.whatsapp import circuit

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

WEBHOOK_ENDPOINT = "webhook.receive"  # the POST /webhook view, the only request the ack histogram times
#: Meta waits for our 200; the target is tens of milliseconds, and Meta retries after seconds.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: The engine is pure and fast: well under a millisecond for most messages.
STEP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
#: The Graph API takes 100-300 ms; SEND_TIMEOUT is 20 s.
SEND_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
#: The sender's kinds of outcome (send_failures.Outcome) as the `outcome` label says them.
OUTCOMES = {"sent": "sent", "error": "error", "transient": "network", "timeout": "timeout", "invalid": "invalid"}


@dataclass(frozen=True)
class Instruments:
    """This process's counters and histograms (see the module docstring for why no gauges)."""

    ack: Histogram
    step: Histogram
    send: Histogram
    sends: Counter

    def collect(self) -> Iterator[Metric]:
        for instrument in (self.ack, self.step, self.send, self.sends):
            yield from instrument.collect()


_made: Instruments | None = None
_making = threading.Lock()


def instruments() -> Instruments:
    """The process's instruments, made on first use.

    They belong to no registry: in multiprocess mode `/metrics` reads every
    process's files instead, and registering them as well would count this
    process twice. Made once per process because prometheus_client keeps one
    value per metric and labels per process (a second set would overwrite
    the first's files in multiprocess mode).
    """
    global _made
    if _made is None:
        with _making:
            if _made is None:
                _made = Instruments(
                    ack=Histogram("shopbot_webhook_ack_seconds", "Time to answer POST /webhook, by HTTP status",
                                  ["status"], buckets=ACK_BUCKETS, registry=None),
                    step=Histogram("shopbot_engine_step_seconds", "Time of one engine step (the pure conversation "
                                   "logic for one message)", buckets=STEP_BUCKETS, registry=None),
                    send=Histogram("shopbot_send_seconds", "Time of one send to the Graph API, whatever its outcome",
                                   buckets=SEND_BUCKETS, registry=None),
                    sends=Counter("shopbot_sends", "Sends to the Graph API by outcome (sent, error, network, "
                                  "timeout, invalid) and Meta's error code", ["outcome", "code"], registry=None),
                )
    return _made


# -- what the hot path calls ------------------------------------------------------------------
def engine_step() -> Timer:
    """`with metrics.engine_step():` around `engine.step(...)` observes how long it took."""
    return instruments().step.time()


def send_done(seconds: float, outcome: tuple[str, Any]) -> None:
    """Count one send: its latency, and its outcome with Meta's error code (send_failures.Outcome)."""
    kind, value = outcome
    code = getattr(value, "code", None) if kind == "error" else None
    made = instruments()
    made.send.observe(seconds)
    made.sends.labels(OUTCOMES.get(kind, kind), "" if code is None else str(code)).inc()


def _ack_started() -> None:
    if request.endpoint == WEBHOOK_ENDPOINT:
        g.shopbot_ack_started = time.perf_counter()


def _ack_done(response: Response) -> Response:
    started = g.pop("shopbot_ack_started", None)
    if started is not None:
        instruments().ack.labels(str(response.status_code)).observe(time.perf_counter() - started)
    return response


# -- read at scrape time ----------------------------------------------------------------------
class StatusCollector:
    """The figures of `shopbot status`, read from the database when Prometheus scrapes.

    When the database cannot be read, `shopbot_database_up` is 0 and the
    other figures are left out (a scrape still gets the process's counters).
    """

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("shopbot_database_up", "1 when /metrics could read the outbox and the circuit")
        try:
            with transaction(self.sessions) as session:
                figures = status.snapshot(session, utcnow())
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read the database: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        outbox = GaugeMetricFamily("shopbot_outbox_messages", "Outbox rows by status", labels=["status"])
        for name in OutboundStatus:
            outbox.add_metric([name.value], figures.outbox.get(name.value, 0))
        yield outbox
        yield GaugeMetricFamily("shopbot_outbox_oldest_pending_seconds",
                                "Age of the oldest reply not sent yet (queued, sending, unconfirmed); 0 when none",
                                value=figures.oldest_pending_seconds or 0.0)
        yield GaugeMetricFamily("shopbot_inbound_failed_events", "Inbound events stored as failed",
                                value=figures.failed_events)
        if figures.last_sent_at is not None:
            yield GaugeMetricFamily("shopbot_last_send_timestamp_seconds", "When a send last succeeded (Unix time)",
                                    value=figures.last_sent_at.timestamp())
        gate = GaugeMetricFamily("shopbot_circuit_state", "The sending gate all senders share: 1 for its state now",
                                 labels=["state"])
        for state in circuit.State:
            gate.add_metric([state.value], 1.0 if figures.gate.state is state else 0.0)
        yield gate
        yield GaugeMetricFamily("shopbot_circuit_consecutive_failures",
                                "Server errors, timeouts and connection errors in a row", value=figures.gate.failures)


class _Process:
    """This process's instruments, as a collector."""

    def collect(self) -> Iterator[Metric]:
        return instruments().collect()


def registry(app: Flask) -> CollectorRegistry:
    """What one scrape of the app's `/metrics` shows: the counters (this process's, or with
    PROMETHEUS_MULTIPROC_DIR every process's that writes there), and the database's figures."""
    reg = CollectorRegistry()
    path = app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        MultiProcessCollector(reg, path=path)
    else:
        reg.register(_Process())
    reg.register(StatusCollector(app.extensions["shopbot.sessions"]))
    return reg


# -- who may read it --------------------------------------------------------------------------
def _token_ok(header: str | None, expected: str) -> bool:
    given = (header or "").removeprefix("Bearer ").strip()
    # As bytes: compare_digest raises on a str that is not ASCII, and the header is whatever was sent.
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def refusal(config: dict, authorization: str | None) -> tuple[int, str] | None:
    """Why a request for metrics is refused (HTTP status, text), or None when it may read them.

    With METRICS_TOKEN set, its bearer token is needed; without one, live
    refuses (503: not configured) and the sandbox answers anyone.
    """
    expected = config.get("METRICS_TOKEN") or ""
    if not expected:
        return None if config.get("SANDBOX") else (503, "metrics are not configured (set METRICS_TOKEN)\n")
    if not _token_ok(authorization, expected):
        return 401, "missing or wrong metrics token (Authorization: Bearer <METRICS_TOKEN>)\n"
    return None


@bp.get("/metrics")
def scrape() -> Response:
    """The Prometheus exposition (or OpenMetrics, when the scraper asks for it)."""
    refused = refusal(current_app.config, request.headers.get("Authorization"))
    if refused is not None:
        code, text = refused
        headers = {"WWW-Authenticate": 'Bearer realm="metrics"'} if code == 401 else {}
        return Response(text, code, headers=headers, mimetype="text/plain")
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encoder(registry(current_app)), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    """Serve `/metrics` and time POST /webhook."""
    app.before_request(_ack_started)
    app.after_request(_ack_done)
    app.register_blueprint(bp)


# -- `shopbot worker`'s own endpoint ----------------------------------------------------------
class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a line per scrape is noise
        pass


def _is_loopback(addr: str) -> bool:
    if addr == "localhost":
        return True
    try:
        return ipaddress.ip_address(addr.strip("[]")).is_loopback
    except ValueError:
        return False


def _guarded(app: Callable[..., Iterable[bytes]], token: str | None) -> Callable[..., Iterable[bytes]]:
    """`app` at /metrics only, and with `token` as a bearer token when there is one."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found; metrics are at /metrics\n"]
        if token and not _token_ok(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                ("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"missing or wrong metrics token (Authorization: Bearer <METRICS_TOKEN>)\n"]
        return app(environ, start_response)

    return guarded


def serve(app: Flask) -> WSGIServer | None:
    """Serve this process's counters at http://METRICS_ADDR:METRICS_PORT/metrics in a thread (`shopbot worker`).

    For a worker on a host of its own; on the web's host, sharing its
    PROMETHEUS_MULTIPROC_DIR puts the worker's figures in the web's /metrics
    instead (do one or the other, or they count twice). The database's
    figures are left to the web's /metrics, so they are scraped once.
    Needs METRICS_TOKEN unless it listens on a loopback address; raises
    ConfigError otherwise, and when it cannot listen there. None when METRICS_PORT is not set.
    """
    config = app.config
    port, addr = config.get("METRICS_PORT"), config.get("METRICS_ADDR") or "127.0.0.1"
    if not port:
        return None
    if not config.get("METRICS_TOKEN") and not _is_loopback(addr):
        raise ConfigError(f"METRICS_ADDR={addr} would publish the worker's metrics without a token: "
                          "set METRICS_TOKEN, or listen on 127.0.0.1")
    family = socket.getaddrinfo(addr, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]

    class Server(ThreadingWSGIServer):
        address_family = family

    wsgi = _guarded(make_wsgi_app(_Process()), config.get("METRICS_TOKEN"))
    try:
        server: WSGIServer = make_server(addr, int(port), wsgi, server_class=Server, handler_class=_Quiet)
    except OSError as exc:  # the port is taken, or the address is not this host's
        raise ConfigError(f"cannot serve metrics on {addr}:{port} (METRICS_ADDR, METRICS_PORT): "
                          f"{exc.strerror}") from exc
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics: this worker's counters at http://%s:%d/metrics", addr, server.server_port)
    return server
