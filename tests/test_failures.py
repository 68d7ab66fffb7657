"""A bug while handling a message never loses it: failed events are kept, retried, and swept."""
from __future__ import annotations

import json
from datetime import timedelta

from bot.db import transaction
from bot.whatsapp import inbound
from bot.whatsapp.updates import split

from . import payloads as p
from .helpers import body_text, events

SAM = "34600111222"


def _anonymous_hi(wamid: str) -> dict:
    """A first message from a customer whose WhatsApp profile has no name."""
    b = p.text(SAM, "hi", wamid=wamid)
    del b["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"]
    return b


def test_a_handling_error_is_stored_acknowledged_and_retried(app, post, runner, sender, fake_graph, shop_dir):
    texts = shop_dir / "flows" / "texts.yaml"
    good = texts.read_text()
    # An owner's template that works for the sample customer but breaks when the name is missing.
    texts.write_text(good.replace('Hi {{ customer.name or "there" }}', "Hi {{ customer.name.title() }}"))
    assert app.extensions["shopbot.content"].reload()

    r = post(_anonymous_hi("wamid.bug"))
    assert r.status_code == 200  # Meta must not retry for a week
    [event] = events(app)
    assert event.status == "failed" and "UndefinedError" in event.error
    sender.pump()
    assert fake_graph.accepted == []

    texts.write_text(good)  # the owner fixes the template
    app.extensions["shopbot.content"].reload()
    result = runner.invoke(args=["events", "retry"])
    assert result.exit_code == 0, result.output
    assert "1 event(s) handled, 0 still failing" in result.output
    sender.pump()
    [sent] = fake_graph.accepted
    assert body_text(sent).startswith("Hi there")
    assert events(app)[0].status == "processed"


def test_events_list_shows_failures(app, post, runner, shop_dir):
    texts = shop_dir / "flows" / "texts.yaml"
    texts.write_text(texts.read_text().replace('Hi {{ customer.name or "there" }}', "Hi {{ customer.name.title() }}"))
    app.extensions["shopbot.content"].reload()
    post(_anonymous_hi("wamid.listed"))
    result = runner.invoke(args=["events", "list"])
    assert "wamid.listed" in result.output and "UndefinedError" in result.output


def test_events_left_pending_by_a_killed_process_are_swept(app, sender, fake_graph):
    """Stored, then the process died before handling: the worker's sweep answers it."""
    raw = p.text(SAM, "hi", wamid="wamid.orphan")
    with transaction(app.extensions["shopbot.sessions"]) as session:
        inbound.store(session, split(json.loads(json.dumps(raw))), inbound.now() - timedelta(minutes=5))
    assert events(app)[0].status == "pending"
    assert inbound.sweep(app) == 1
    sender.pump()
    assert len(fake_graph.accepted) == 1
    assert inbound.sweep(app) == 0  # never twice


def test_a_recent_pending_event_is_left_to_its_own_request(app):
    with transaction(app.extensions["shopbot.sessions"]) as session:
        inbound.store(session, split(p.text(SAM, "hi", wamid="wamid.inflight")), inbound.now())
    assert inbound.sweep(app) == 0
