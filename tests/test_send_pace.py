"""One send rate per phone number, shared by every sender process (database or Redis), and
Meta's per-customer pacing (bursts of 45, one more every 6 s)."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis

from bot import config
from bot.app import create_app
from bot.db import transaction
from bot.models import Customer, OutboundMessage
from bot.whatsapp import outbox, send_pace
from bot.whatsapp.inbound import now
from bot.whatsapp.sender import Sender

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["database", "redis"])
def pace_store(request, app_config):
    """Where the shared pace lives: the app's database, or Redis (REDIS_URL)."""
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(f"shopbot:send_pace:{app_config['WHATSAPP_PHONE_ID']}")
        app_config["REDIS_URL"] = REDIS_URL
    return request.param


def _queue(app, customers: int, per_customer: int = 1) -> None:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        first = s.query(Customer).count()
        for i in range(first, first + customers):
            c = Customer(wa_id=f"3460020{i:04d}")
            s.add(c)
            s.flush()
            c.last_inbound_at = now()
            outbox.enqueue(s, c, [{"type": "text", "text": f"reply {i}.{k}"} for k in range(per_customer)], now())


def _most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u - t < 1.0) for i, t in enumerate(times))


def test_two_senders_together_keep_one_rate(app_config, pace_store, fake_graph):
    """Two sender processes (two apps on one database) with SEND_RATE=20 send 20 a second together,
    not 20 each; every row exactly once."""
    # The suite's lease (timeout + reconcile) is 2.5 s, so short that on a busy machine a row sent but
    # not yet recorded would be claimed again by the other sender; live, it is 80 s.
    app_config.update(SEND_RATE=20.0, SEND_CONCURRENCY=16, SEND_RECONCILE_SECONDS=30.0)
    first, second = create_app(app_config), create_app(app_config)
    senders = [Sender(first), Sender(second)]
    _queue(first, 2)  # open each sender's connection to the Graph API first: a cold one answers late
    for s in senders:
        s.pump()
    fake_graph.reset()
    left: list[float] = []  # when each send left its sender: the moment the HTTP request is written
    for a in (first, second):
        a.extensions["shopbot.whatsapp"].api._session.event_hooks["request"].append(
            lambda request: left.append(time.time()) if request.url.path.endswith("/messages") else None)
    _queue(first, 70)
    started = time.monotonic()
    for s in senders:
        s.start()
    try:
        accepted = fake_graph.wait_for(70, timeout=15)
    finally:
        for s in senders:
            s.stop()
        for a in (first, second):
            a.extensions["shopbot.engine"].dispose()
    took = time.monotonic() - started
    assert len(accepted) == 70
    assert len({m["payload"]["text"]["body"] for m in accepted}) == 70  # none twice
    assert len(left) == 70 and _most_in_one_second(left) <= 20
    assert took >= 3.0  # 70 at 20/s: about 3.5 s, where two limiters of their own took half that


def test_the_pace_is_shared_and_looks_one_second_ahead(app_config, pace_store):
    """Two paces for the same number (two processes) hand out consecutive slots, 1/rate apart,
    and never more than a second's worth ahead."""
    app_config["SEND_RATE"] = 10.0
    app = create_app(app_config)
    a, b = send_pace.make(app.config), send_pace.make(app.config)
    sessions = app.extensions["shopbot.sessions"]
    t = time.time()
    with transaction(sessions) as s:
        assert a.budget(s, t) == 9  # ten a second, spaced 2.5 % wider for jitter: nine fit in one
        first = a.reserve(s, 6, t)
    with transaction(sessions) as s:
        assert b.budget(s, t) == 3  # the other process took six of this second's slots
        second = b.reserve(s, 3, t)
    with transaction(sessions) as s:
        assert a.budget(s, t) == 0
    step = send_pace.JITTER_MARGIN / 10
    assert [round(first.delay(i), 4) for i in range(6)] == [round(i * step, 4) for i in range(6)]
    assert [round(second.delay(i), 4) for i in range(3)] == [round((6 + i) * step, 4) for i in range(3)]
    with transaction(sessions) as s:  # half a second later, the slots in that half are free again
        assert b.budget(s, t + 0.5) == int((1.5 - 9 * step) / step)
    app.extensions["shopbot.engine"].dispose()


def test_a_customer_gets_bursts_of_45_then_one_every_6_seconds(app):
    """Meta's pair limit, followed exactly (GCRA): 45 at once, then one per 6 s; idle time refills."""
    sessions = app.extensions["shopbot.sessions"]
    _queue(app, 1, per_customer=60)
    t = now()
    shipped = config.load({}, environ={"SHOPBOT_SANDBOX": "1"})
    burst, interval = shipped["SEND_CUSTOMER_BURST"], timedelta(seconds=shipped["SEND_CUSTOMER_INTERVAL"])
    assert (burst, interval) == (45, timedelta(seconds=6))  # Meta's pair limit, as shipped
    lease = timedelta(seconds=60)

    def send_due(at) -> int:
        sent = 0
        while True:
            with transaction(sessions) as s:
                rows = outbox.claim(s, 10, at, lease, burst, interval)
                if rows:
                    outbox.mark_sent_many(s, [(r.id, f"wamid.{r.id}") for r in rows], at)
            if not rows:
                return sent
            sent += len(rows)

    assert send_due(t) == 45
    assert send_due(t + timedelta(seconds=5)) == 0
    assert send_due(t + timedelta(seconds=6)) == 1
    assert send_due(t + timedelta(seconds=30)) == 4  # one per 6 s since
    with transaction(sessions) as s:
        assert s.query(OutboundMessage).filter(OutboundMessage.status == "queued").count() == 10


@pytest.fixture
def late_sender(app_config):
    """Senders at SEND_RATE=20 on the app's pace store, made once the test has set its config; each
    is stopped and its app's client and engine closed after the test."""
    made = []

    def make() -> Sender:
        app_config["SEND_RATE"] = 20.0
        made.append(Sender(create_app(app_config)))
        return made[-1]
    yield make
    for sender in made:
        sender.stop()
        sender.app.extensions["shopbot.whatsapp"].api._session.close()
        sender.app.extensions["shopbot.engine"].dispose()


def _wait_late(sender: Sender) -> float:
    """A send thread waking 100 ms after its slot: the seconds before it may go."""
    started = time.monotonic()
    sender._wait_for_slot(started - 0.1)
    return time.monotonic() - started


def test_a_send_that_wakes_late_takes_a_new_slot_instead_of_going_at_once(pace_store, late_sender):
    """A send thread that wakes 100 ms after its slot (a stalled process) does not go out at once:
    another sender's slots may follow right away, and the two would leave closer together than the
    rate allows. It takes the next free slot of the shared pace instead."""
    sender = late_sender()
    with transaction(sender.sessions) as s:  # another sender holds the next 0.3 s
        sender.pace.reserve(s, 6, time.time())
    assert 0.25 <= _wait_late(sender) < 1.0


def test_a_late_send_still_goes_when_the_pace_cannot_give_a_new_slot(app_config, late_sender):
    """The shared pace's store is unreachable (Redis down) when a late send asks for a new slot:
    the send goes, late, instead of failing (a failed send would be dead-lettered: a reply lost)."""
    app_config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert _wait_late(late_sender()) < 0.5
