"""The sender against a fake Graph API: retries, reconciliation, dead letters, order and pacing."""
from __future__ import annotations

import time

from bot.whatsapp.sender import Sender

from . import payloads as p
from .helpers import body_text, outbox_rows

SAM = "34600111222"


def _wait_until_due(app, sender, timeout=5.0):
    """Pump until nothing is left unfinished (retries become due after their back-off)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sender.pump()
        if all(r.status not in ("queued", "sending", "unconfirmed") for r in outbox_rows(app)):
            return
        time.sleep(0.05)
    raise AssertionError(f"outbox not finished: {[(r.id, r.status) for r in outbox_rows(app)]}")


def test_throttling_130429_is_retried_and_delivered_once(app, post, sender, fake_graph):
    fake_graph.fail_next(130429, times=2, message="Rate limit hit")
    post(p.text(SAM, "hi"))
    _wait_until_due(app, sender)
    assert fake_graph.attempts == 3
    assert len(fake_graph.accepted) == 1
    [row] = outbox_rows(app)
    assert row.status == "sent" and row.attempts == 3 and row.wamid == fake_graph.accepted[0]["wamid"]


def test_transient_5xx_is_retried(app, post, sender, fake_graph):
    fake_graph.fail_next(131000, http_status=500, message="Something went wrong")
    post(p.text(SAM, "hi"))
    _wait_until_due(app, sender)
    assert len(fake_graph.accepted) == 1 and outbox_rows(app)[0].status == "sent"


def test_a_timeout_after_meta_accepted_is_reconciled_by_the_status_webhook(app, post, sender, fake_graph):
    """Meta accepted the send but answered too late: the tracker in the status webhook
    tells us so, and the message is not sent again."""
    app.config["SEND_RECONCILE_SECONDS"] = 30
    fake_graph.delay_next(3.0)  # longer than SEND_TIMEOUT (2 s)
    post(p.text(SAM, "hi"))
    sender.pump()
    [row] = outbox_rows(app)
    assert row.status == "unconfirmed" and row.wamid is None
    [accepted] = fake_graph.accepted
    post(p.status(accepted["wamid"], "sent", SAM, tracker=accepted["payload"]["biz_opaque_callback_data"]))
    [row] = outbox_rows(app)
    assert row.status == "sent" and row.wamid == accepted["wamid"]
    sender.pump()
    assert len(fake_graph.accepted) == 1 and fake_graph.attempts == 1


def test_a_timeout_with_no_status_is_resent_after_the_reconcile_window(app, post, sender, fake_graph):
    fake_graph.delay_next(3.0)
    post(p.text(SAM, "hi"))
    sender.pump()
    assert outbox_rows(app)[0].status == "unconfirmed"
    time.sleep(0.6)  # SEND_RECONCILE_SECONDS is 0.5 in tests
    _wait_until_due(app, sender)
    assert fake_graph.attempts == 2 and outbox_rows(app)[0].status == "sent"


def test_131026_is_dead_lettered_with_the_reason(app, post, sender, fake_graph):
    fake_graph.fail_next(131026, message="Message undeliverable")
    post(p.text(SAM, "hi"))
    _wait_until_due(app, sender)
    [row] = outbox_rows(app)
    assert row.status == "dead" and row.error_code == 131026 and "undeliverable" in row.error_title
    assert fake_graph.accepted == [] and fake_graph.attempts == 1


def test_closed_window_falls_back_to_the_configured_template(app, post, sender, fake_graph):
    fake_graph.fail_next(131047, message="Re-engagement message")
    post(p.text(SAM, "hi", name="Ana"))
    _wait_until_due(app, sender)
    [sent] = fake_graph.accepted
    assert sent["payload"]["type"] == "template"
    assert sent["payload"]["template"]["name"] == "reopen_conversation"
    params = [x["text"] for x in sent["payload"]["template"]["components"][0]["parameters"]]
    assert params == ["Ana", "Lumen & Loom"]
    [row] = outbox_rows(app)
    assert row.status == "sent" and row.body["replaces"]["type"] == "list"


def test_closed_window_without_a_template_dead_letters(app, post, sender, fake_graph, shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().split("window_fallback_template:")[0])
    app.extensions["shopbot.content"].reload()
    fake_graph.fail_next(131047)
    post(p.text(SAM, "hi"))
    _wait_until_due(app, sender)
    [row] = outbox_rows(app)
    assert row.status == "dead" and "24-hour window is closed" in row.error_title
    assert fake_graph.accepted == []


def test_account_error_pauses_sending(app, post, sender, fake_graph, caplog):
    fake_graph.fail_next(190, http_status=401, message="Error validating access token")
    post(p.text(SAM, "hi"))
    sender.pump()
    [row] = outbox_rows(app)
    assert row.status == "queued" and row.error_code == 190
    assert any(r.levelname == "CRITICAL" and "sending paused" in r.message for r in caplog.records)
    sender.pump()
    assert fake_graph.attempts == 1  # paused: nothing more was tried


def test_each_customers_messages_go_out_in_order(app, post, sender, fake_graph):
    fake_graph.latency = 0.02
    for i in range(5):
        post(p.text(SAM, "hi" if i == 0 else "nonsense " + str(i)))
        post(p.text(f"3460000000{i}", "hi"))
    sender.pump()
    to_sam = [m for m in fake_graph.accepted if m["payload"].get("to") == SAM]
    rows = [r for r in outbox_rows(app) if r.recipient == SAM]
    assert [m["wamid"] for m in to_sam] == [r.wamid for r in rows]
    assert [m["seq"] for m in to_sam] == sorted(m["seq"] for m in to_sam)


def test_a_slow_read_receipt_never_holds_the_next_reply(app, post, fake_graph):
    """Receipts leave beside the sends: one send thread, receipts taking a second each, and the
    second customer's reply still goes out at once."""
    app.config["SEND_CONCURRENCY"] = 1
    sender = app.extensions["shopbot.sender"] = Sender(app)
    fake_graph.receipt_latency = 1.0
    post(p.text(SAM, "hi"))
    post(p.text("34600000009", "hi"))
    expected = len(outbox_rows(app))
    started = time.monotonic()
    sender.start()
    assert len(fake_graph.wait_for(expected, timeout=5)) == expected
    assert time.monotonic() - started < 0.8  # not a second per receipt
    with fake_graph.changed:
        fake_graph.changed.wait_for(lambda: len(fake_graph.reads) == 2, timeout=5)
    assert {r["payload"]["message_id"] for r in fake_graph.reads} == {
        r.body["read"] for r in outbox_rows(app) if "read" in r.body}


def test_a_customers_burst_is_paced(app, post, sender, fake_graph):
    app.config.update(SEND_CUSTOMER_BURST=2, SEND_CUSTOMER_INTERVAL=0.3)
    for word in ("hi", "menu", "menu", "menu"):
        post(p.text(SAM, word))
    sender.pump()
    assert len(fake_graph.accepted) == 2  # the burst allowance; the rest wait their turn
    _wait_until_due(app, sender)
    times = [m["at"] for m in fake_graph.accepted]
    assert len(times) == 4
    assert times[3] - times[1] >= 0.5  # two more, one interval apart each


def test_long_texts_are_split_on_grapheme_boundaries(app, sender, fake_graph):
    from bot.db import transaction
    from bot.models import Customer
    from bot.whatsapp import outbox
    from bot.whatsapp.inbound import now

    family = "👨‍👩‍👧"  # one grapheme, five code points
    text = family * 1000  # no spaces: the split must fall between two whole emoji
    with transaction(app.extensions["shopbot.sessions"]) as s:
        c = Customer(wa_id=SAM)
        s.add(c)
        s.flush()
        outbox.enqueue(s, c, [{"type": "text", "text": text}], now())
    sender.pump()
    parts = [body_text(m) for m in fake_graph.accepted]
    assert len(parts) == 2 and all(len(x) <= 4096 for x in parts)
    assert "".join(parts) == text
    assert all(part.count(family) * len(family) == len(part) for part in parts)
