"""Fixtures: `app` (once on SQLite, once on PostgreSQL), `client`, `runner`,
`fake_graph` (a real HTTP fake of the Graph API that records every send),
`sign`, `post` (a signed webhook post) and `sender` (the real sender, pumped).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bot import schema
from bot.app import create_app
from bot.db import make_engine
from bot.models import Base
from bot.sandbox.fake_graph import FakeGraph, serve_fake_graph
from bot.whatsapp.sender import Sender

from .chat import Chat, Clock

REPO = Path(__file__).resolve().parent.parent
APP_SECRET = "test-app-secret"
API_TOKEN = "test-api-token"
PAYMENT_SECRET = "test-payment-secret"
PG_SERVER = os.environ.get("SHOPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# A name of this run's own: two runs on one server never touch each other's database, and a
# database the run did not create (a real `shopbot_test`, say) is never dropped.
PG_DATABASE = f"shopbot_test_{os.getpid()}_{secrets.token_hex(4)}"
TABLES = tuple(t.name for t in Base.metadata.sorted_tables)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, migrated once, dropped at the end. Fails loudly if
    PostgreSQL is down: the suite must never silently skip it.

    `SHOPBOT_TEST_POSTGRES` names the server (a URL without a database), e.g.
    `postgresql://postgres@127.0.0.1:5432`. The run creates a database with a unique name there and
    drops only that one."""
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the suite ({PG_SERVER}): {exc}")
    url = f"{PG_SERVER}/{PG_DATABASE}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


@pytest.fixture(scope="session")
def graph_server():
    fake = FakeGraph()
    server = serve_fake_graph(fake)
    yield fake, server.url
    server.close()


@pytest.fixture
def fake_graph(graph_server) -> FakeGraph:
    fake, _url = graph_server
    fake.reset()
    fake.latency = 0.0
    return fake


@pytest.fixture
def shop_dir(tmp_path) -> Path:
    """A private copy of the sample shop, so tests may edit it."""
    root = tmp_path / "shop"
    for name in ("flows", "catalog"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    # Each order update goes out at once, so a test sees it after one pump; the tests of combining
    # updates (test_order_axes.py) set their own window.
    notifications = root / "flows" / "notifications.yaml"
    notifications.write_text(notifications.read_text().replace("combine_within_seconds: 60",
                                                               "combine_within_seconds: 0"))
    return root


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("postgres_url")
    truncate(url)
    return url


@pytest.fixture
def app_config(database_url, graph_server, shop_dir) -> dict:
    return make_config(database_url, graph_server[1], shop_dir)


def truncate(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_config(database_url: str, graph_url: str, shop_dir) -> dict:
    """A live configuration (no sandbox pages) whose Graph API is the test's fake at `graph_url`."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "WHATSAPP_TOKEN": "test-token",
        "WHATSAPP_PHONE_ID": "1122334455667",  # the phone number id of tests/payloads.py
        "WHATSAPP_API_URL": graph_url,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": "test-verify-token",
        "SHOP_API_TOKEN": API_TOKEN,
        "PAYMENT_WEBHOOK_SECRET": PAYMENT_SECRET,
        "PUBLIC_URL": "https://shop.example",  # catalog images and staff links are absolute, as live
        "SHOP_DIR": str(shop_dir),
        "MEDIA_DIR": str(Path(shop_dir).parent / "media"),
        "SECRET_KEY": "test-secret",
        "SEND_TIMEOUT": 2.0,
        "SEND_BACKOFF_BASE": 0.01,
        "SEND_RECONCILE_SECONDS": 0.5,
        "SEND_CUSTOMER_INTERVAL": 0.01,
        "SEND_RATE": 1000.0,
        "SEND_CONCURRENCY": 8,
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    sender = app.extensions.get("shopbot.sender")
    if sender is not None:
        sender.stop()
    app.extensions["shopbot.whatsapp"].api._session.close()
    app.extensions["shopbot.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def signature(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@pytest.fixture
def sign():
    """sign(body) -> headers for a webhook post signed like Meta signs."""

    def _sign(raw: bytes) -> dict:
        return {"Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)}

    return _sign


@pytest.fixture
def post(client, sign):
    """post(body_dict_or_bytes) -> the response to a signed POST /webhook."""

    def _post(payload):
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        return client.post("/webhook", data=raw, headers=sign(raw))

    return _post


@pytest.fixture
def sender(app) -> Sender:
    """The real sender for this app; tests call `sender.pump()` to send what is due."""
    s = Sender(app)
    app.extensions["shopbot.sender"] = s
    return s


def sandbox_config(app_config: dict, base_url: str) -> dict:
    """`app_config` as the sandbox at `base_url`: no Meta keys, SHOPBOT_SANDBOX on, as `shopbot run` does."""
    live_only = ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_ID", "WHATSAPP_API_URL", "WHATSAPP_APP_SECRET",
                 "WHATSAPP_VERIFY_TOKEN", "SHOP_API_TOKEN", "PAYMENT_WEBHOOK_SECRET", "PUBLIC_URL")
    config = {k: v for k, v in app_config.items() if k not in live_only}
    return dict(config, SHOPBOT_SANDBOX=True, SANDBOX_URL=base_url)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_sandbox(app_config):
    """The whole local shop as `shopbot run` starts it: sandbox pages, the in-app fake Graph
    API with status feedback, and the sender thread, on a real port. Yields the base URL."""
    from bot.sandbox.fake_graph import LocalServer

    port = free_port()
    config = sandbox_config(app_config, f"http://127.0.0.1:{port}")
    app = create_app(config)
    server = LocalServer(app, port)
    sender = Sender(app)
    app.extensions["shopbot.sender"] = sender
    sender.start()
    yield server.url
    sender.stop()
    server.close()
    app.extensions["shopbot.engine"].dispose()


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Playwright (it cannot download a browser here)."""
    from playwright.sync_api import expect, sync_playwright

    # What a person waits for, on two cores shared by the servers, the sender and Chromium:
    # Playwright's 5 s default was missed now and then under CI's load, never by a real fault.
    expect.set_options(timeout=10_000)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        pytest.fail(f"browser tests need Chromium at {chromium}: apt-get install chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


STAFF_PASSWORD = "correct horse battery"


def make_staff(app, email="ana@shop.example", name="Ana", role="owner", password=STAFF_PASSWORD) -> int:
    """Create a staff account the way `shopbot staff add` does; returns its id."""
    from bot.db import transaction
    from bot.models import utcnow
    from bot.staff.accounts import add

    with transaction(app.extensions["shopbot.sessions"]) as s:
        return add(s, email, name, role, password, utcnow()).id


def csrf_of(html: str) -> str:
    import re

    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


class StaffClient:
    """A logged-in browser session as a test client: `get`, and `post` that adds the CSRF token."""

    def __init__(self, app, email="ana@shop.example", password=STAFF_PASSWORD):
        self.http = app.test_client()
        page = self.http.get("/staff/login")
        r = self.http.post("/staff/login",
                           data={"email": email, "password": password, "csrf_token": csrf_of(page.text)})
        assert r.status_code == 302, r.text
        self.token = csrf_of(self.http.get("/staff/inbox").text)

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def post(self, path, data=None, **kw):
        return self.http.post(path, data=dict(data or {}, csrf_token=self.token), **kw)


@pytest.fixture
def owner(app) -> StaffClient:
    make_staff(app)
    return StaffClient(app)


@pytest.fixture
def colleague(app, owner) -> StaffClient:
    make_staff(app, email="luis@shop.example", name="Luis", role="staff")
    return StaffClient(app, email="luis@shop.example")


@pytest.fixture
def chat(app, post, sender, fake_graph) -> Chat:
    """Sam, a customer, talking to the bot (tests.chat.Chat); a module may define its own."""
    return Chat(post, sender, fake_graph)


@pytest.fixture
def clock(sender) -> Clock:
    """The sender's clock, moved on by hand (tests.chat.Clock); a module may define its own."""
    return Clock(sender)
