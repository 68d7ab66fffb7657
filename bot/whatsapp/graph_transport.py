"""A lean HTTP/1.1 transport under the Graph API client, on the standard library's `http.client`.

Why: every reply costs the sender two Graph API calls (the reply and the customer's read
receipt). Profiled on the bench machine (issue 14), one call through httpx's default
transport (httpcore) costs about 1.6 ms of CPU; httpx's client layer is about 0.3 ms of
that, and `http.client` does the wire's part in about 0.5 ms. httpx's `Client` stays in
front, so pywa, its errors and its responses are unchanged: only the wire is ours.

What the sender relies on is kept as httpx has it:
- a request that never reached the server raises `httpx.ConnectError` or
  `httpx.ConnectTimeout` (the sender retries it: nothing was sent);
- a failure once the request may have been written raises another `httpx` error
  (`WriteError`, `ReadTimeout`, `RemoteProtocolError`...): the sender waits for a status
  instead of sending again;
- an idle keep-alive connection that the server closed is noticed before reuse (its socket
  reads as ready) and replaced, so a POST is never written onto a dead connection.

Proxies from the environment (HTTPS_PROXY...) are httpx's business: `make_client` keeps
httpx's own transport when one is set.
"""
from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading

import httpx

Key = tuple[str, str, int]


def _alive(conn: http.client.HTTPConnection) -> bool:
    """An idle connection is usable while nothing can be read from it: readable means the server
    closed it (or sent what nobody asked for)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        poller = select.poll()  # not select.select: it refuses descriptors above 1023
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class LeanTransport(httpx.BaseTransport):
    """Keep-alive connections per host, at most `max_idle` kept, each used by one thread at a time."""

    def __init__(self, max_idle: int):
        self._max_idle = max_idle
        self._ssl_context: ssl.SSLContext | None = None  # made at the first https connection
        self._idle: dict[Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    # -- connections ------------------------------------------------------------------
    def _checkout(self, key: Key) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                pool = self._idle.get(key)
                conn = pool.pop() if pool else None
            if conn is None or _alive(conn):
                return conn
            conn.close()

    def _checkin(self, key: Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            pool = self._idle.setdefault(key, [])
            if sum(len(p) for p in self._idle.values()) < self._max_idle:
                pool.append(conn)
                return
        conn.close()

    def _connect(self, key: Key, timeout: float | None) -> http.client.HTTPConnection:
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl_context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out while connecting") from exc
        except OSError as exc:  # refused, unreachable, DNS, a failed TLS handshake: nothing was sent
            conn.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    # -- one request -------------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        body = request.read()
        conn = self._checkout(key) or self._connect(key, timeouts.get("connect"))
        try:
            conn.sock.settimeout(timeouts.get("write"))
            conn.putrequest(request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.multi_items():
                if name not in ("content-length", "transfer-encoding"):  # the body goes whole, its length known
                    conn.putheader(name, value)
            if body or request.method in ("POST", "PUT", "PATCH"):
                conn.putheader("content-length", str(len(body)))
            try:
                conn.endheaders(body or None)
            except TimeoutError as exc:
                raise httpx.WriteTimeout(str(exc) or "timed out while sending") from exc
            except OSError as exc:
                raise httpx.WriteError(str(exc) or type(exc).__name__) from exc
            conn.sock.settimeout(timeouts.get("read"))
            try:
                response = conn.getresponse()
                content = response.read()
            except TimeoutError as exc:
                raise httpx.ReadTimeout(str(exc) or "timed out waiting for the answer") from exc
            except (http.client.HTTPException, ConnectionError) as exc:  # closed without an answer, garbage
                raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            self._checkin(key, conn)
        return httpx.Response(response.status, headers=response.getheaders(), stream=httpx.ByteStream(content),
                              extensions={"http_version": b"HTTP/1.1",
                                          "reason_phrase": (response.reason or "").encode("latin-1", "replace")})

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for pool in pools.values():
            for conn in pool:
                conn.close()
