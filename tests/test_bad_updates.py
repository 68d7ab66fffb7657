"""One bad update never sinks the body it came in: it is stored as failed, the others are answered, Meta gets 200.

A NUL, a lone surrogate, an id over 255 characters or JSON nested 5,000 deep
used to make the whole request 500, so Meta redelivered the good messages of
the same body for days. And one malformed stored message must never break a
staff page.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Customer, InboundEvent

from . import payloads as p
from .conftest import signature
from .helpers import body_text, count, events

SAM, EVE = "34600111222", "34600333444"
MARK = "BAD-VALUE-HERE"


def _body_with(bad_message: dict, good_wamid: str) -> dict:
    """Eve's bad update and Sam's good "hi", in one body, as Meta batches them."""
    return p.body(p.messages_value(EVE, bad_message, name="Eve"),
                  p.messages_value(SAM, p.message(SAM, "text", {"body": "hi"}, wamid=good_wamid)))


def _raw(body: dict, bad_json: str) -> bytes:
    """The body as Meta would send it, with `bad_json` spliced in where MARK is."""
    raw = json.dumps(body, ensure_ascii=False).replace(json.dumps(MARK), bad_json)
    return raw.encode()


CASES = {
    "nul": ('"hello\\u0000there"', "NUL"),
    "lone surrogate": ('"\\ud800 hi"', "surrogate"),
    "deep": ("[" * 5000 + "]" * 5000, "nested deeper"),
    "deep object": ('{"a":' * 5000 + "1" + "}" * 5000, "nested deeper"),
    "NaN": ("NaN", "number"),
    "huge number": ("9" * 5000, "number"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_text_is_stored_failed_and_its_neighbour_answered(app, client, sender, fake_graph, case):
    bad_json, problem = CASES[case]
    raw = _raw(_body_with(p.message(EVE, "text", {"body": MARK}, wamid="wamid.bad"), "wamid.good"), bad_json)
    r = client.post("/webhook", data=raw, headers={"Content-Type": "application/json",
                                                   "X-Hub-Signature-256": signature(raw)})
    assert r.status_code == 200
    sender.pump()
    assert body_text(fake_graph.messages_to(SAM)[0])  # Sam is answered
    assert fake_graph.messages_to(EVE) == []
    stored = {e.external_id: e for e in events(app)}
    assert stored["wamid.good"].status == "processed"
    bad = stored["wamid.bad"]
    assert bad.status == "failed" and problem in bad.error
    assert "\x00" not in json.dumps(bad.payload)


def test_an_over_long_id_is_shortened_stays_unique_and_its_neighbour_answered(app, post, sender, fake_graph):
    long_id = "wamid." + "A" * 300
    body = _body_with(p.message(EVE, "text", {"body": "hello"}, wamid=long_id), "wamid.good")
    assert post(body).status_code == 200
    sender.pump()
    assert body_text(fake_graph.messages_to(SAM)[0])
    [bad] = [e for e in events(app) if e.external_id != "wamid.good"]
    assert bad.status == "failed" and "over 255" in bad.error
    assert len(bad.external_id) <= 255 and bad.external_id.startswith("wamid.AAAA")
    assert bad.payload["message"]["id"] == long_id  # the whole id is kept for a person to read
    other = "wamid." + "A" * 299 + "B"  # the same start, another id: another row
    assert post(p.body(p.messages_value(EVE, p.message(EVE, "text", {"body": "x"}, wamid=other)))).status_code == 200
    assert post(body).status_code == 200  # Meta redelivers: recognised, nothing new
    assert count(app, InboundEvent) == 3


def test_a_body_nested_too_deep_to_parse_is_acknowledged_and_kept(app, client, caplog):
    """Meta retries anything but 2xx, and these bytes will never parse: 200, kept as failed for a person."""
    for raw in (b"[" * 5000 + b"]" * 5000, b'{"entry":' * 100_000 + b"1" + b"}" * 100_000, b"[" * 50_000):
        r = client.post("/webhook", data=raw, headers={"X-Hub-Signature-256": signature(raw)})
        assert r.status_code == 200
    assert {e.status for e in events(app)} == {"failed"} and count(app, InboundEvent) == 3


def test_odd_shapes_in_a_body_do_not_stop_the_good_message(app, post, sender, fake_graph):
    body = _body_with(p.message(EVE, "text", {"body": "hi"}, wamid="wamid.odd"), "wamid.good")
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = {"not": "a list"}
    value["statuses"] = 7
    value["messages"][0]["type"] = {"a": "dict as a type"}
    body["entry"][0]["changes"][0]["field"] = ["a", "list"] * 100
    assert post(body).status_code == 200
    sender.pump()
    assert body_text(fake_graph.messages_to(SAM)[0])


# -- a bad stored row never breaks a staff page ----------------------------------------------------------------------

@pytest.mark.parametrize("location", ["Calle Mayor 1", 42, ["a"]])
def test_a_malformed_location_does_not_break_the_inbox_or_the_chat(app, post, sender, fake_graph, owner, location):
    assert post(p.text(EVE, "hi", name="Eve")).status_code == 200
    assert post(p.body(p.messages_value(EVE, p.message(EVE, "location", location), name="Eve"))).status_code == 200
    assert post(p.body(p.messages_value(EVE, {"id": "wamid.weird", "from": EVE, "type": 5, "text": "x"},
                                        name="Eve"))).status_code == 200
    assert post(p.text(SAM, "hi")).status_code == 200
    sender.pump()
    for view in ("all", "waiting", "mine", "unassigned"):
        r = owner.get(f"/staff/inbox?view={view}")
        assert r.status_code == 200, view
    assert "Eve" in owner.get("/staff/inbox?view=all").text
    assert owner.get("/staff/inbox/rows?view=all").status_code == 200
    with transaction(app.extensions["shopbot.sessions"]) as s:
        eve = s.scalars(select(Customer.id).where(Customer.wa_id == EVE)).one()
    r = owner.get(f"/staff/chats/{eve}")
    assert r.status_code == 200 and '<div class="kind">location</div>' in r.text
    assert "mlat=None" not in r.text  # no map link to nowhere
