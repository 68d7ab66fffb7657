"""The Graph API client's own transport (bot.whatsapp.graph_transport), against a raw HTTP server
that behaves as a real one can: it closes idle keep-alive connections, refuses, reads a request and
hangs up, or never answers. What the sender decides depends on which error comes back: a
connection error is retried, anything after the request may have left waits for a status."""
from __future__ import annotations

import json
import socket
import socketserver
import threading

import httpx
import pytest

from bot.whatsapp.client import make_client

ACCEPTED = json.dumps({"messaging_product": "whatsapp", "contacts": [{"input": "1", "wa_id": "1"}],
                       "messages": [{"id": "wamid.OK"}]}).encode()


class RawGraph(socketserver.ThreadingTCPServer):
    """Answers each POST per `mode`: "ok" (keep-alive), "ok-then-close" (answers, then closes the
    connection, which the client keeps as idle), "hang-up" (reads the request, closes without a
    word), "silent" (reads it and never answers)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.mode = "ok"
        self.requests: list[bytes] = []
        self.connections = 0
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(socketserver.StreamRequestHandler):
    server: RawGraph

    def handle(self) -> None:
        self.server.connections += 1
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                chunk = self.rfile.readline()
                if not chunk:
                    return
                head += chunk
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            self.server.requests.append(head + self.rfile.read(length))
            mode = self.server.mode
            if mode == "hang-up":
                return
            if mode == "silent":
                threading.Event().wait(5)
                return
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(ACCEPTED)).encode() + b"\r\n\r\n" + ACCEPTED)
            self.wfile.flush()
            if mode == "ok-then-close":
                self.request.shutdown(socket.SHUT_RDWR)
                return


@pytest.fixture
def graph():
    server = RawGraph()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client():
    """make_client as the app calls it; every client made is closed after the test."""
    made = []

    def make(url: str, timeout: float = 2.0):
        made.append(make_client({"SEND_TIMEOUT": timeout, "SEND_CONCURRENCY": 2, "WHATSAPP_PHONE_ID": "123",
                                 "WHATSAPP_TOKEN": "token", "WHATSAPP_API_VERSION": "22.0",
                                 "WHATSAPP_API_URL": url}))
        return made[-1]
    yield make
    for wa in made:
        wa.api._session.close()


def test_sends_reuse_one_connection_and_carry_the_token_and_the_body(graph, client):
    wa = client(graph.url)
    for n in range(3):
        assert wa.send_message("491700001", f"hello {n}").id == "wamid.OK"
    assert graph.connections == 1
    head, _, body = graph.requests[-1].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v22.0/123/messages HTTP/1.1")
    assert b"authorization: bearer token" in head.lower()
    assert json.loads(body)["text"]["body"] == "hello 2"


def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_send_is_written_on_it(graph, client):
    """Without the check before reuse, the second send is written onto a closed socket and fails
    as "may have reached Meta": the customer's reply would wait for a status that never comes."""
    graph.mode = "ok-then-close"
    wa = client(graph.url)
    assert wa.send_message("491700001", "first").id == "wamid.OK"
    threading.Event().wait(0.1)  # the server has closed the idle connection by now
    assert wa.send_message("491700001", "second").id == "wamid.OK"
    assert len(graph.requests) == 2  # each written once
    assert graph.connections == 2


def test_a_refused_connection_is_a_connect_error_the_sender_may_retry(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here once closed
    with pytest.raises(httpx.ConnectError):
        client(f"http://127.0.0.1:{port}").send_message("491700001", "hi")


@pytest.mark.parametrize("mode, error", [("hang-up", httpx.RemoteProtocolError), ("silent", httpx.ReadTimeout)])
def test_a_request_that_may_have_reached_the_server_is_never_a_connect_error(graph, client, mode, error):
    graph.mode = mode
    with pytest.raises(error) as raised:
        client(graph.url, timeout=0.5).send_message("491700001", "hi")
    assert not isinstance(raised.value, (httpx.ConnectError, httpx.ConnectTimeout))
    assert len(graph.requests) == 1
