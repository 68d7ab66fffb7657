"""Status webhooks move an outbound message forward only: sent < delivered < read."""
from __future__ import annotations

import random

import pytest

from . import payloads as p
from .helpers import outbox_rows

SAM = "34600111222"


def _one_reply(post, sender, fake_graph) -> str:
    post(p.text(SAM, "hi"))
    sender.pump()
    [sent] = fake_graph.accepted
    return sent["wamid"]


@pytest.mark.parametrize("order", [("read", "delivered", "sent"), ("delivered", "read", "sent"),
                                   ("sent", "read", "delivered"), ("read", "sent", "delivered")])
def test_shuffled_statuses_end_read(app, post, sender, fake_graph, order):
    wamid = _one_reply(post, sender, fake_graph)
    for state in order:
        assert post(p.status(wamid, state, SAM)).status_code == 200
    [row] = outbox_rows(app)
    assert row.status == "read"


def test_random_shuffles_of_many_messages_end_in_the_right_state(app, post, sender, fake_graph):
    for word in ("hi", "menu", "menu", "menu"):
        post(p.text(SAM, word))
    sender.pump()
    wamids = [m["wamid"] for m in fake_graph.accepted]
    final = {wamids[0]: "read", wamids[1]: "delivered", wamids[2]: "sent", wamids[3]: "read"}
    ladder = ["sent", "delivered", "read"]
    statuses = [(w, s) for w, last in final.items() for s in ladder[: ladder.index(last) + 1]]
    random.Random(7).shuffle(statuses)
    for wamid, state in statuses:
        post(p.status(wamid, state, SAM))
    assert {r.wamid: r.status for r in outbox_rows(app)} == final


def test_failure_keeps_metas_code_and_title(app, post, sender, fake_graph):
    wamid = _one_reply(post, sender, fake_graph)
    post(p.status(wamid, "failed", SAM, error={"code": 131026, "title": "Message undeliverable"}))
    [row] = outbox_rows(app)
    assert (row.status, row.error_code, row.error_title) == ("failed", 131026, "Message undeliverable")


def test_a_late_failure_after_delivery_changes_nothing(app, post, sender, fake_graph):
    wamid = _one_reply(post, sender, fake_graph)
    post(p.status(wamid, "delivered", SAM))
    post(p.status(wamid, "failed", SAM, error={"code": 131000, "title": "Something went wrong"}))
    [row] = outbox_rows(app)
    assert row.status == "delivered" and row.error_code is None


def test_statuses_of_messages_we_never_sent_are_kept_and_ignored(app, post):
    assert post(p.status("wamid.not-ours", "delivered", SAM)).status_code == 200
    assert outbox_rows(app) == []
