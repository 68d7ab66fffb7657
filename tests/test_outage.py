"""A Graph API outage loses nothing: retries are bounded by time, a circuit stops the burn,
and replies we gave up on come back with `shopbot outbox retry` or the staff Retry button."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Customer, OutboundMessage, utcnow
from bot.whatsapp import circuit, outbox
from bot.whatsapp.sender import Sender

from . import payloads as p
from .helpers import outbox_rows

SAM = "34600111222"


class Clock:
    """The sender's clock, moved by hand: an outage of minutes or hours passes without sleeping."""

    def __init__(self):
        self.t = utcnow()

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    def catch_up(self) -> None:
        """Move to the real time (after webhooks were posted on the real clock)."""
        self.t = max(self.t, utcnow())


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def slow_sender(app, clock) -> Sender:
    """The real sender on the hand-moved clock, with production back-off (1 s doubling, 60 s cap)."""
    app.config.update(SEND_BACKOFF_BASE=1.0, SEND_BACKOFF_CAP=60.0, SEND_CIRCUIT_THRESHOLD=5,
                      SEND_CIRCUIT_COOLDOWN=5.0)
    s = Sender(app, clock=clock)
    app.extensions["shopbot.sender"] = s
    return s


def gate(app, clock) -> circuit.Gate:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return circuit.read(s, clock())


def test_replies_queued_during_a_long_outage_all_arrive_once_it_ends(app, post, slow_sender, clock, fake_graph):
    """The review's case: the API answers 500 for minutes. The old sender dead-lettered 44 of 100
    replies after 8 attempts; now every one arrives, once, in each customer's order."""
    fake_graph.fail_with(500)
    for i in range(50):  # 50 customers, two messages each: 100 replies
        post(p.text(f"3460010{i:04d}", "hi"))
        post(p.text(f"3460010{i:04d}", "menu"))
    rows = outbox_rows(app)
    assert len(rows) == 100
    clock.catch_up()
    # Ten minutes of outage, well past 8 attempts' worth of back-off (1+2+...+128 s, with jitter).
    for _ in range(120):
        slow_sender.pump()
        clock.advance(5)
    assert fake_graph.accepted == []
    assert fake_graph.attempts < 40  # the circuit probed; it did not burn every row's attempts
    assert gate(app, clock).state is not circuit.State.CLOSED
    assert all(r.status == "queued" for r in outbox_rows(app))

    fake_graph.recover()
    for _ in range(30):
        slow_sender.pump()
        if all(r.status == "sent" for r in outbox_rows(app)):
            break
        clock.advance(5)
    rows = outbox_rows(app)
    assert [r for r in rows if r.status != "sent"] == []
    assert len(fake_graph.accepted) == 100
    assert len({m["payload"]["biz_opaque_callback_data"] for m in fake_graph.accepted}) == 100  # none twice
    assert {r.wamid for r in rows} == {m["wamid"] for m in fake_graph.accepted}
    sent_order = defaultdict(list)
    for m in sorted(fake_graph.accepted, key=lambda m: m["seq"]):
        sent_order[m["payload"]["to"]].append(m["wamid"])
    row_order = defaultdict(list)
    for r in rows:
        row_order[r.recipient].append(r.wamid)
    assert sent_order == row_order  # no later message overtook an earlier one waiting for retry
    assert gate(app, clock).state is circuit.State.CLOSED


def test_the_circuit_opens_after_n_failures_and_probes_with_one_message(app, post, clock, fake_graph):
    app.config.update(SEND_CONCURRENCY=1, SEND_CIRCUIT_THRESHOLD=3, SEND_CIRCUIT_COOLDOWN=5.0,
                      SEND_BACKOFF_CAP=60.0)
    first = Sender(app, clock=clock)
    app.extensions["shopbot.sender"] = first
    fake_graph.fail_with(500)
    for i in range(6):
        post(p.text(f"3460020000{i}", "hi"))
    clock.catch_up()
    first.pump()
    assert fake_graph.attempts == 3  # three consecutive 500s, then nothing more
    g = gate(app, clock)
    assert g.state is circuit.State.OPEN and g.until == clock() + timedelta(seconds=5)
    first.pump()
    clock.advance(4)
    first.pump()
    assert fake_graph.attempts == 3
    assert sum(r.attempts for r in outbox_rows(app)) == 2  # the send that opened it spent no attempt

    # Half-open: one probe across every sender process, however many ask.
    clock.advance(1)
    app.config["SEND_CONCURRENCY"] = 8
    second = Sender(app, clock=clock)  # another worker process on the same database
    try:
        fake_graph.fail_with(500, delay=0.5)
        assert first.dispatch()[0] == 1
        assert second.dispatch()[0] == 0 and first.dispatch()[0] == 0
        first.wait_idle(5)
        assert fake_graph.attempts == 4
        g = gate(app, clock)
        assert g.state is circuit.State.OPEN and g.until == clock() + timedelta(seconds=10)  # twice as long

        clock.advance(10)
        fake_graph.recover()
        second.pump()
        assert len(fake_graph.accepted) == 6 and gate(app, clock).state is circuit.State.CLOSED
    finally:
        second.stop()


def test_a_free_form_reply_is_given_up_when_the_customers_window_closes(app, post, slow_sender, clock, fake_graph):
    app.config["SEND_CIRCUIT_THRESHOLD"] = 1000  # the row's own retries, without the circuit
    fake_graph.fail_with(500)
    post(p.text(SAM, "hi"))
    clock.catch_up()
    for _ in range(10):
        slow_sender.pump()
        clock.advance(60)
    assert outbox_rows(app)[0].status == "queued"  # ten minutes in: still worth sending
    clock.advance(24 * 3600)
    slow_sender.pump()
    [row] = outbox_rows(app)
    assert row.status == "dead"
    assert row.error_title.startswith("gave up after ") and "the customer's 24-hour window closed" in row.error_title
    assert "Service temporarily unavailable" in row.error_title


def test_a_template_is_retried_for_send_give_up_hours(app, slow_sender, clock, fake_graph):
    app.config.update(SEND_CIRCUIT_THRESHOLD=1000, SEND_GIVE_UP_HOURS=2.0)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        c = Customer(wa_id=SAM)
        s.add(c)
        s.flush()
        outbox.enqueue(s, c, [{"type": "template", "name": "reopen_conversation", "language": "en",
                               "params": ["Sam", "Lumen & Loom"]}], clock())
    fake_graph.fail_with(503)
    for _ in range(110):  # 110 minutes
        slow_sender.pump()
        clock.advance(60)
    [row] = outbox_rows(app)
    assert row.status == "queued" and row.attempts > 8
    clock.advance(15 * 60)
    slow_sender.pump()
    [row] = outbox_rows(app)
    assert row.status == "dead" and "not sent within 2 h" in row.error_title


def _dead_reply(app, post, sender, fake_graph, wa_id=SAM) -> OutboundMessage:
    fake_graph.fail_next(131026, message="Message undeliverable")
    post(p.text(wa_id, "hi"))
    sender.pump()
    row = outbox_rows(app)[-1]
    assert row.status == "dead"
    return row


def test_dead_replies_are_listed_and_requeued_from_the_command_line(app, post, runner, sender, fake_graph):
    post(p.text("34600999888", "hi"))
    sender.pump()
    sent = outbox_rows(app)[0]
    dead = _dead_reply(app, post, sender, fake_graph)

    out = runner.invoke(args=["outbox", "list", "--dead"]).output
    ids = [line.split("\t", 1)[0] for line in out.splitlines()]  # the first column (a time may end in "1")
    assert str(dead.id) in ids and "Message undeliverable" in out and str(sent.id) not in ids

    r = runner.invoke(args=["outbox", "retry", str(sent.id), "999"])
    assert r.exit_code == 1
    assert f"outbox {sent.id}: refused, it is sent, not dead; only dead messages can be retried" in r.output
    assert "outbox 999: refused, no such message" in r.output

    post(p.text(SAM, "menu"))  # the customer's later message waits behind the requeued one
    r = runner.invoke(args=["outbox", "retry"])
    assert r.exit_code == 0 and "1 reply queued again" in r.output
    sender.pump()
    to_sam = [m for m in fake_graph.accepted if m["payload"]["to"] == SAM]
    rows = [r for r in outbox_rows(app) if r.recipient == SAM]
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [m["wamid"] for m in to_sam] == [r.wamid for r in rows]  # the old one first
    assert "no dead replies" in runner.invoke(args=["outbox", "list", "--dead"]).output


def test_staff_retry_a_dead_reply_from_the_chat(app, owner, post, sender, fake_graph):
    dead = _dead_reply(app, post, sender, fake_graph)
    cid = dead.customer_id
    page = owner.get(f"/staff/chats/{cid}").text
    assert "Not delivered: Message undeliverable" in page and f'id="retry-{dead.id}"' in page

    assert owner.http.post(f"/staff/chats/{cid}/messages/{dead.id}/retry").status_code == 400  # no CSRF token
    assert owner.post(f"/staff/chats/{cid + 1}/messages/{dead.id}/retry").status_code == 404  # not this chat
    assert outbox_rows(app)[-1].status == "dead"

    r = owner.post(f"/staff/chats/{cid}/messages/{dead.id}/retry")
    assert r.status_code == 302
    sender.pump()
    assert outbox_rows(app)[-1].status == "sent" and len(fake_graph.accepted) == 1
    page = owner.get(f"/staff/chats/{cid}").text
    assert f'id="retry-{dead.id}"' not in page and "Not delivered" not in page
    r = owner.post(f"/staff/chats/{cid}/messages/{dead.id}/retry", follow_redirects=True)
    assert "Not queued again: it is sent, not dead" in r.text


def test_a_failing_send_in_a_closed_circuit_counts_toward_opening_it_only_when_consecutive(app, post, clock,
                                                                                          fake_graph):
    """A success between failures resets the count: a flaky API does not stop all sending."""
    app.config.update(SEND_CONCURRENCY=1, SEND_CIRCUIT_THRESHOLD=3)
    sender = Sender(app, clock=clock)
    app.extensions["shopbot.sender"] = sender
    for i in range(4):
        post(p.text(f"3460030000{i}", "hi"))
    clock.catch_up()
    fake_graph.fail_next(131000, times=2, http_status=500)
    sender.pump()  # fail, fail, then success resets the count
    fake_graph.fail_next(131000, times=2, http_status=500)
    clock.advance(120)
    sender.pump()
    assert gate(app, clock).state is circuit.State.CLOSED
    clock.advance(120)
    sender.pump()
    assert len(fake_graph.accepted) == 4
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.scalars(select(OutboundMessage).where(OutboundMessage.status != "sent")).all() == []
