"""Small readers for assertions: what the fake Graph API got, what the database holds."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from bot.db import transaction
from bot.models import InboundEvent, OutboundMessage


def body_text(sent: dict) -> str:
    """The visible text of a Graph API message payload."""
    p = sent["payload"]
    if p["type"] == "text":
        return p["text"]["body"]
    if p["type"] == "interactive":
        return p["interactive"]["body"]["text"]
    if p["type"] in ("image", "document", "video"):
        return p[p["type"]].get("caption", "")
    return ""


def recipient(sent: dict) -> str:
    return sent["payload"].get("to") or sent["payload"].get("recipient")


def outbox_rows(app) -> list[OutboundMessage]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def events(app) -> list[InboundEvent]:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return list(s.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def count(app, model) -> int:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return s.scalar(select(func.count()).select_from(model))


def at_once(calls) -> list:
    """Run the callables in threads released at the same instant; return their results in order."""
    import threading

    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def page_errors(page) -> list[str]:
    """Collect a Playwright page's uncaught script errors and Content-Security-Policy violations (Chromium
    reports those only on the console), for a test to assert `== []` at the end."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    return errors


def shot(page, name: str) -> None:
    """A full-page screenshot to $SHOPBOT_SCREENSHOTS/<name>.png when that is set: the README's
    pictures in docs/ come from the browser tests (see the README, "Run it, test it")."""
    folder = os.environ.get("SHOPBOT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
